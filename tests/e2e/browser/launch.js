// launch.js — Debian's chromium, headless, in a fresh profile, with every background connection off
// (this machine has no network: without these flags chromium keeps trying, and the checks would also
// see requests the page never made). Shared by the check scripts; returns { ctx, close }.
const { chromium } = require("playwright-core");
const fs = require("fs");
const os = require("os");
const path = require("path");

async function launch(viewport) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "memlens-chromium-"));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
    viewport,
  });
  // close() ends chromium, then removes its profile (not before: chromium writes it until it exits)
  const close = async () => {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { ctx, close };
}

module.exports = { launch };
