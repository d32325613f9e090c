// check_speedscope.js FILE.speedscope.json [SCREENSHOT.png] — loads an export in the speedscope app
// (npm package, offline copy in node_modules/speedscope/dist/release) in headless chromium, through
// its own file picker, and checks that it imports: the window title becomes "<name> - speedscope"
// and no error is raised. Prints the title; exits 1 on failure.
const { launch } = require("./launch");
const path = require("path");

(async () => {
  const [file, shot] = process.argv.slice(2);
  const { ctx, close } = await launch({ width: 1280, height: 800 });
  const errors = [];
  const page = await ctx.newPage();
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("dialog", (d) => { errors.push("dialog: " + d.message()); d.dismiss(); });
  await page.goto("file://" + path.join(__dirname, "node_modules/speedscope/dist/release/index.html"));
  await page.setInputFiles("input[type=file]", path.resolve(file));
  await page.waitForFunction(() => document.title.endsWith(" - speedscope"), null, { timeout: 10000 });
  const title = await page.title();
  if (shot) await page.screenshot({ path: shot });
  await close();
  console.log(JSON.stringify({ title, errors }));
  process.exit(errors.length ? 1 : 0);
})().catch((e) => { console.error(String(e)); process.exit(2); });
