// check_page.js PAGE.html SCREENSHOT.png — opens a memlens page in Debian's headless chromium and
// checks it: no JavaScript error, no network request, the timeline and flame graph drawn, search
// highlights frames, click zooms. Prints one JSON line of findings; exits 1 on any failure.
const { launch } = require("./launch");
const path = require("path");

(async () => {
  const [page_path, shot] = process.argv.slice(2);
  const { ctx, close } = await launch({ width: 1280, height: 1000 });
  const errors = [], requests = [];
  const page = await ctx.newPage();
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("request", (r) => { if (!r.url().startsWith("file:")) requests.push(r.url()); });
  const t0 = Date.now();
  await page.goto("file://" + path.resolve(page_path));
  await page.waitForSelector("body[data-ready='1']", { timeout: 5000 });
  const load_ms = Date.now() - t0;
  const r = { load_ms, errors, requests };
  r.timeline_points = await page.$$eval("#tlchart polyline", (p) => p.length ? p[0].getAttribute("points").split(" ").length : 0).catch(() => 0);
  r.frames = await page.$$eval("#fg .f", (f) => f.length);
  r.tabs = await page.$$eval("#fgtabs button", (b) => b.map((x) => x.textContent));
  if (shot) await page.screenshot({ path: shot, fullPage: true });
  const q = process.env.SEARCH || "User";
  await page.fill("#search", q);
  r.hits = await page.$$eval("#fg .f.hit", (f) => f.length);
  r.search_status = await page.textContent("#fstatus");
  await page.fill("#search", "");
  // zoom: click the widest frame of depth 2 (a child of a child of the root)
  const before = await page.$eval("#fg", (g) => g.children.length);
  const target = await page.$$eval("#fg .f", (f) => { const c = f.filter((e) => e.style.top === "20px"); c.sort((a, b) => parseFloat(b.style.width) - parseFloat(a.style.width)); return c.length ? c[0].dataset.i : null; });
  if (target != null) {
    await page.click(`#fg .f[data-i='${target}']`);
    r.zoom_crumbs = await page.textContent("#crumbs");
    r.zoomed_width = await page.$eval(`#fg .f[data-i='${target}']`, (e) => parseFloat(e.style.width));
    r.fg_width = await page.$eval("#fg", (g) => g.clientWidth);
  }
  r.frames_before_zoom = before;
  // hover: the tooltip names the frame and its bytes
  const any = await page.$("#fg .f[data-i='1']");
  if (any) { await any.hover(); r.tooltip = await page.textContent("#tip"); }
  // every tab draws
  r.tab_frames = [];
  for (const b of await page.$$("#fgtabs button")) { await b.click(); r.tab_frames.push(await page.$$eval("#fg .f", (f) => f.length)); }
  // a time range dragged across the timeline is described
  const chart = await page.$("#tlchart svg");
  if (chart) {
    const box = await chart.boundingBox();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.99, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    r.range = await page.textContent("#range");
  }
  await close();
  console.log(JSON.stringify(r));
  process.exit(errors.length || requests.length || !r.frames || r.tab_frames.some((n) => !n) ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(2); });
