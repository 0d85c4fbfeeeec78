// Browser helpers: Debian's Chromium through playwright-core, and the checks
// every visited page must pass.
import { chromium } from 'playwright-core';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { KNOWN } from '../known-issues.js';

const run = promisify(execFile);

export const env = {
  base: process.env.E2E_BASE_URL,
  db: process.env.E2E_DB,
  captchaTool: process.env.E2E_CAPTCHA_TOOL,
  shots: process.env.E2E_SHOTS,
  artifacts: process.env.E2E_ARTIFACTS,
  adminPassword: process.env.E2E_ADMIN_PASSWORD,
  label: process.env.E2E_LABEL || 'sqlite',
  strict: process.env.E2E_STRICT === '1',
};

// Chromium flags for this machine's closed network (go-svc.md): no
// background connections, no GPU, no QUIC. Playwright adds a fresh, empty
// --user-data-dir of its own for every launch.
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

export const PHONE = { viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' };
export const DESKTOP = { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, locale: 'zh-CN' };

// Watcher records, for one page, everything that breaks the rules between
// two checks: requests to another origin, console errors, uncaught script
// errors, and main-frame documents that failed (status ≥ 400 that the test
// did not expect, or an HTML body cut short by a template error).
export class Watcher {
  constructor(page, name) {
    this.page = page;
    this.name = name;
    this.origin = new URL(env.base).origin;
    this.problems = [];
    this.pending = new Set();
    this.expectStatus = null;
    this.known = new Set(); // known issues that did occur (reported at the end)
    page.on('request', (req) => {
      const u = req.url();
      if (/^(data|blob|about):/.test(u)) return;
      if (new URL(u).origin !== this.origin) this.problems.push(`request to another origin: ${req.method()} ${u}`);
    });
    page.on('requestfailed', (req) => {
      const f = req.failure();
      // A navigation replaced by the next one, or a download, is not a failure.
      if (f && /ERR_ABORTED/.test(f.errorText)) return;
      this.problems.push(`request failed: ${req.method()} ${req.url()} (${f && f.errorText})`);
    });
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const at = msg.location() && msg.location().url ? ` (${msg.location().url})` : '';
      this.problems.push(`console error on ${pathOf(page.url())}: ${msg.text()}${at}`);
    });
    page.on('pageerror', (err) => this.problems.push(`uncaught script error on ${pathOf(page.url())}: ${err.message}`));
    page.on('response', (resp) => {
      const req = resp.request();
      if (req.frame() !== page.mainFrame() || !req.isNavigationRequest()) {
        if (resp.status() >= 400) this.problems.push(`HTTP ${resp.status()} for ${req.method()} ${resp.url()}`);
        return;
      }
      const p = this.inspectDocument(resp);
      this.pending.add(p);
      p.finally(() => this.pending.delete(p));
    });
  }

  async inspectDocument(resp) {
    const req = resp.request();
    const status = resp.status();
    const where = `${req.method()} ${pathOf(resp.url())}`;
    if (status >= 300 && status < 400) return;
    const expected = this.expectStatus;
    if (expected != null) {
      if (status !== expected) this.problems.push(`${where}: HTTP ${status}, expected ${expected}`);
    } else if (status >= 400) {
      this.problems.push(`${where}: HTTP ${status}`);
    }
    const type = resp.headers()['content-type'] || '';
    if (!type.startsWith('text/html')) {
      if (status >= 400 || !/attachment/.test(resp.headers()['content-disposition'] || '')) {
        this.problems.push(`${where}: document of type ${type || '(none)'}, not HTML`);
      }
      return;
    }
    let body = '';
    try { body = await resp.text(); } catch { return; } // body gone with a later navigation
    if (!/<\/html>\s*$/i.test(body)) this.problems.push(`${where}: HTML cut short (a template error?): …${body.slice(-160)}`);
  }

  // keep saves the page's HTML and a screenshot for a failure report.
  async keep(what) {
    if (!env.artifacts) return;
    try {
      fs.mkdirSync(env.artifacts, { recursive: true });
      const base = path.join(env.artifacts, `${this.name} - ${what}`.replace(/[^\p{L}\p{N} ._-]+/gu, '_'));
      fs.writeFileSync(base + '.html', await this.page.content());
      await this.page.screenshot({ path: base + '.png', fullPage: true });
      console.log(`# saved ${base}.html and .png`);
    } catch (err) {
      console.log(`# could not save the page: ${err.message}`);
    }
  }

  // check runs the per-page rules on the page as it is now and throws with
  // every problem seen since the last check.
  async check(what) {
    if (process.env.E2E_TRACE === '1') {
      const now = Date.now();
      console.log(`# trace ${this.name} · ${what}: +${now - (this.last || now)} ms`);
      this.last = now;
    }
    const page = this.page;
    await page.waitForLoadState('load');
    await Promise.all([...this.pending]);
    const p = pathOf(page.url());
    const found = [...new Set(this.problems.splice(0))];
    const unlabeled = await page.evaluate(unlabeledControls);
    for (const u of new Set(unlabeled)) found.push(`form control without a label on ${p}: ${u}`);
    const overflow = await overflowAt375(page);
    if (overflow) found.push(`horizontal scrolling at 375 px on ${p}: ${overflow}`);
    const left = [];
    for (const f of found) {
      const k = !env.strict && KNOWN.find((k) => k.page.test(p) && f.includes(k.match));
      if (k) this.known.add(`${f}  [known: ${k.why}]`);
      else left.push(f);
    }
    if (left.length && process.env.E2E_REPORT_ONLY === '1') {
      console.log(`# PROBLEMS ${this.name} · ${what} (${p}):\n#   - ${left.join('\n#   - ')}`);
      return;
    }
    if (left.length) await this.keep(what);
    if (left.length) throw new Error(`${this.name} · ${what} (${p}):\n  - ${left.join('\n  - ')}`);
  }
}

function pathOf(u) {
  try { return new URL(u).pathname; } catch { return u; }
}

// unlabeledControls runs in the page: every visible input, select and
// textarea must have a label bound to it (label[for], a wrapping label,
// aria-label or aria-labelledby).
function unlabeledControls() {
  const out = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || ['submit', 'button', 'reset', 'image'].includes(el.type)) continue;
    if (el.closest('[aria-hidden="true"]')) continue;
    const visible = el.checkVisibility ? el.checkVisibility({ visibilityProperty: true, opacityProperty: false }) : el.getClientRects().length > 0;
    if (!visible) continue;
    const byLabel = [...(el.labels || [])].some((l) => l.textContent.trim() !== '');
    const byAria = (el.getAttribute('aria-label') || '').trim() !== '' ||
      (el.getAttribute('aria-labelledby') || '').split(/\s+/).some((id) => id && document.getElementById(id));
    if (!byLabel && !byAria) {
      let d = el.tagName.toLowerCase();
      if (el.type && d === 'input') d += `[type=${el.type}]`;
      if (el.name) d += `[name=${el.name}]`;
      if (el.id) d += `#${el.id}`;
      if (el.placeholder) d += ` (placeholder "${el.placeholder}")`;
      out.push(d);
    }
  }
  return out;
}

// overflowAt375 narrows the viewport to 375 px when it is wider, measures
// whether the document scrolls sideways, and names the widest offenders.
async function overflowAt375(page) {
  const vp = page.viewportSize();
  const narrow = vp && vp.width !== 375;
  if (narrow) await page.setViewportSize({ width: 375, height: vp.height });
  try {
    // Reading scrollWidth forces layout; no requestAnimationFrame, which a
    // page in the background would never run.
    return await page.evaluate(() => {
      const resolve = (v) => v;
      const w = window.innerWidth;
      const sw = document.documentElement.scrollWidth;
      if (sw <= w) return resolve('');
      const culprits = [];
      for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.right > w + 1 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > w + 1)) {
          let d = el.tagName.toLowerCase();
          if (el.id) d += '#' + el.id;
          if (el.className && typeof el.className === 'string') d += '.' + el.className.trim().split(/\s+/).join('.');
          culprits.push(`${d} (${Math.round(r.width)} px wide)`);
        }
        if (culprits.length >= 4) break;
      }
      return resolve(`scrollWidth ${sw} > ${w}; widest: ${culprits.join(', ') || '?'}`);
    });
  } finally {
    if (narrow) await page.setViewportSize(vp);
  }
}

// solveCaptcha reads the answer of the form's challenge from the database,
// as only a test with access to the server's database can.
export async function solveCaptcha(page) {
  const id = await page.locator('input[name=captcha_id]').inputValue();
  const { stdout } = await run(env.captchaTool, ['--db', env.db, '--id', id]);
  const answer = stdout.trim();
  if (!/^\d{6}$/.test(answer)) throw new Error(`no live captcha ${id} in the database (got "${answer}")`);
  return answer;
}

// inboxRow opens the inbox where a complaint just filed is: the inbox lists
// the oldest first, so the newest are on its last page (最后一页), which the
// inspector opens when the first page is full. It returns the complaint's row.
export async function inboxRow(page, ref) {
  await page.goto('/office/inbox');
  const last = page.locator('nav a', { hasText: '最后一页' });
  if (await last.count()) {
    await Promise.all([page.waitForURL(/last=1/), last.first().click()]);
    await page.waitForLoadState('load');
  }
  return page.locator('main .box').filter({ has: page.locator('strong', { hasText: ref }) });
}

// shot saves a screenshot under the screenshots folder (docs/screenshots on
// the SQLite run) and returns its path.
export async function shot(page, name, opts = {}) {
  fs.mkdirSync(env.shots, { recursive: true });
  const file = path.join(env.shots, name);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled', ...opts });
  return file;
}

// png makes a small valid RGB PNG (a green gradient with a stripe) that the
// server's photo pipeline can decode and re-encode.
export function png(width = 64, height = 48, seed = 0) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < width; x++) {
      const o = row + 1 + x * 3;
      raw[o] = (x * 4 + seed) & 255;
      raw[o + 1] = 120 + ((y * 2) & 127);
      raw[o + 2] = Math.abs(x - y) < 3 ? 255 : 60;
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

let crcTable;
function crc32(buf) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// expecting runs fn (a navigation) expecting its document to answer status
// (a 404 for a miss, say): the watcher checks that status instead of failing
// on it, and forgets the console line Chromium writes for every document
// that answers 4xx ("Failed to load resource: … status of 404"), which is not
// a page defect.
export async function expecting(w, status, fn) {
  w.expectStatus = status;
  try {
    await fn();
    await w.page.waitForLoadState('load');
    await Promise.all([...w.pending]);
  } finally {
    w.expectStatus = null;
    const line = `the server responded with a status of ${status}`;
    w.problems = w.problems.filter((p) => !(p.startsWith('console error on ') && p.includes(line)));
  }
}
