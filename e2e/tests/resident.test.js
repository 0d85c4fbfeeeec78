// Issue 16: residents never lose a report, a code or a photo. On a phone,
// with and without JavaScript: a report with a wrong captcha and three field
// errors shows all four at once and keeps the photos; the receipt survives a
// refresh; a portrait photo is stored upright and smaller than sent; twelve
// honest filings from one address with a few mistakes are not refused; the
// tracking page opens from the receipt's QR link with the code filled in;
// a reporter asks for a reward later. axe finds nothing on any portal page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { env, launch, PHONE, DESKTOP, Watcher, solveCaptcha, shot, png } from '../lib/browser.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PORTRAIT = fs.readFileSync(path.join(here, '..', 'fixtures', 'portrait-exif6.jpg')); // 1600×1200 stored, EXIF orientation 6
const TIMEOUT = 180_000;

let browser;
const watchers = [];
const axeSeen = new Set(); // pages axe has checked, for the closing test

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function open(name, device, extra = {}) {
  const ctx = await browser.newContext({ ...device, baseURL: env.base, acceptDownloads: true, ...extra });
  ctx.setDefaultTimeout(15_000);
  const page = await ctx.newPage();
  const w = new Watcher(page, name);
  watchers.push(w);
  return { ctx, page, w };
}

async function nav(page, locator) {
  await Promise.all([page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() }), locator.click()]);
  await page.waitForLoadState('load');
}

// axe runs axe-core on the page as it is and fails on any violation.
async function axe(page, what) {
  const r = await new AxeBuilder({ page }).analyze();
  axeSeen.add(what);
  const v = r.violations.map((x) => `${x.id} (${x.impact}): ${x.help} — ${x.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
  assert.deepEqual(v, [], `axe on ${what} (${new URL(page.url()).pathname})`);
}

// fillReport fills a valid report; mistakes leaves out what the caller
// names: 'categories', 'town', 'description' (too short), 'captcha' (wrong).
async function fillReport(page, mistakes = []) {
  if (!mistakes.includes('categories')) await page.getByLabel('大气', { exact: true }).check();
  if (!mistakes.includes('town')) await page.getByLabel('问题所在的镇').selectOption('城关镇');
  await page.getByLabel('详细地址').fill('城关镇西街3号 砂石厂门口');
  await page.getByLabel('发生了什么').fill(mistakes.includes('description') ? '很吵' : '砂石厂夜里一直开机破碎石料，粉尘很大，噪声吵得整条街睡不着。');
  const answer = await solveCaptcha(page);
  await page.getByLabel(/^验证码/).fill(mistakes.includes('captcha') ? String((Number(answer) + 1) % 1000000).padStart(6, '0') : answer);
}

// checkAnswered checks a page the server answered with status on purpose
// (422 for a form sent back, 404 for a tracking miss, 410 for a receipt no
// longer shown): Chromium reports such a document on the console, which is
// no fault of the page.
async function checkAnswered(w, status, what, go) {
  w.expectStatus = status;
  await go();
  await w.page.waitForLoadState('load');
  await Promise.all([...w.pending]);
  w.problems = w.problems.filter((p) => !(p.startsWith('console error') && p.includes(`status of ${status} `)));
  await w.check(what);
  w.expectStatus = null;
}

// look keeps a full-page screenshot of how a page looks (phone or desktop)
// with the run's artifacts, for a person to look at (E2E_KEEP=1 keeps them);
// only the form sent back goes to docs/screenshots.
async function look(page, name) {
  if (!env.artifacts) return;
  fs.mkdirSync(path.join(env.artifacts, 'look'), { recursive: true });
  await page.screenshot({ path: path.join(env.artifacts, 'look', name), fullPage: true, animations: 'disabled' });
}

async function codeOn(page) {
  return ((await page.locator('#code').textContent()) || '').trim();
}

for (const js of [true, false]) {
  const how = js ? 'with JavaScript' : 'without JavaScript';
  test(`a wrong captcha and three field errors show all four at once and keep the photos (phone, ${how})`, { timeout: TIMEOUT }, async () => {
    const { ctx, page, w } = await open(`resident ${how}`, PHONE, { javaScriptEnabled: js });
    try {
      await page.goto('/report');
      await w.check('report form');
      await fillReport(page, ['categories', 'town', 'description', 'captcha']);
      await page.locator('#photos').setInputFiles([
        { name: '竖拍.jpg', mimeType: 'image/jpeg', buffer: PORTRAIT },
        { name: '现场.png', mimeType: 'image/png', buffer: png(120, 90, 3) },
      ]);
      await checkAnswered(w, 422, 'form sent back', () => nav(page, page.getByRole('button', { name: '提交举报' })));
      const summary = page.locator('#error-summary');
      const text = (await summary.textContent()) || '';
      for (const want of ['修改以下4项', '请至少选择一种污染类型', '请选择问题所在的镇', '问题描述至少10个字', '验证码错误或已过期']) {
        assert.ok(text.includes(want), `the summary lacks "${want}": ${text}`);
      }
      assert.equal(await summary.locator('a').count(), 4, 'each problem links to its field');
      if (js) {
        assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'error-summary', 'the summary takes the focus');
      }
      for (const id of ['town', 'description', 'captcha_solution']) {
        const el = page.locator('#' + id);
        assert.equal(await el.getAttribute('aria-invalid'), 'true', `${id} is marked invalid`);
        const desc = await el.getAttribute('aria-describedby');
        assert.ok(desc && (await page.locator('#' + desc).textContent()).trim() !== '', `${id} names its message`);
      }
      // Following a summary link lands on the field.
      await summary.getByRole('link', { name: /问题描述/ }).click();
      assert.ok(page.url().endsWith('#description'));
      const kept = page.locator('input[name=keep_photo]');
      assert.equal(await kept.count(), 2, 'both photos are kept');
      assert.ok(await kept.first().isChecked());
      assert.equal(await page.getByLabel('详细地址').inputValue(), '城关镇西街3号 砂石厂门口', 'typed text is kept');
      if (js) {
        await axe(page, 'report form with errors');
        await shot(page, 'resident-report-errors-phone.png');
      }

      // Fix the three fields and the captcha; the photos need not be chosen again.
      await page.getByLabel('大气', { exact: true }).check();
      await page.getByLabel('问题所在的镇').selectOption('城关镇');
      await page.getByLabel('发生了什么').fill('砂石厂夜里一直开机破碎石料，粉尘很大，噪声吵得整条街睡不着。');
      await page.getByLabel(/^验证码/).fill(await solveCaptcha(page));
      await nav(page, page.getByRole('button', { name: '提交举报' }));
      await w.check('receipt');
      assert.equal(new URL(page.url()).pathname, '/report/done');
      const code = await codeOn(page);
      assert.match(code, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
      assert.ok(!page.url().includes(code) && !page.url().includes(code.replace(/-/g, '')), 'the code is not in the URL');
      assert.ok(((await page.locator('dl.facts').textContent()) || '').includes('2张'), 'both photos were filed');
      assert.ok(((await page.locator('main').textContent()) || '').includes('/track'), 'the receipt says where to track');

      // A refresh shows the same receipt, and files nothing again.
      await page.reload();
      await w.check('receipt after refresh');
      assert.equal(await codeOn(page), code, 'a refresh shows the same code');
      if (js) {
        await axe(page, 'receipt');
        await look(page, 'resident-receipt-phone.png');
      }
    } finally {
      await ctx.close();
    }
  });
}

test('a portrait photo is stored upright and smaller than sent; the tracking page tells one story', { timeout: TIMEOUT }, async () => {
  const { ctx, page, w } = await open('resident portrait', PHONE);
  try {
    await page.goto('/report');
    await fillReport(page);
    await page.locator('#photos').setInputFiles({ name: 'IMG_0042.jpg', mimeType: 'image/jpeg', buffer: PORTRAIT });
    await nav(page, page.getByRole('button', { name: '提交举报' }));
    await w.check('receipt');
    const code = await codeOn(page);

    // The receipt's QR code is a link to /track with the code in the
    // fragment only: the field is filled and the fragment dropped.
    const link = await page.evaluate(() => {
      const t = document.querySelector('main').textContent;
      return /(https?:\/\/\S+?)\/track/.exec(t)[1];
    });
    assert.ok(link.startsWith('http'), `receipt names the site: ${link}`);
    await page.goto(`/track#code=${code}`);
    await w.check('tracking form from the QR link');
    assert.equal(await page.getByLabel('查询码').inputValue(), code, 'the code is filled in from the fragment');
    assert.equal(new URL(page.url()).hash, '', 'the fragment is dropped from the address bar');
    await axe(page, 'tracking form');
    await nav(page, page.getByRole('button', { name: '查询', exact: true }));
    await w.check('tracking page');
    await axe(page, 'tracking page');
    await look(page, 'resident-tracking-phone.png');

    const facts = (await page.locator('dl.facts').textContent()) || '';
    assert.ok(facts.includes('城关镇'), 'canonical town');
    const events = await page.locator('ol.timeline li').allTextContents();
    assert.ok(events[0].includes('已接收'), `own events first: ${events[0]}`);
    assert.ok(await page.getByRole('button', { name: '查看照片 1' }).isVisible(), 'photos numbered within the complaint');

    // Fetch photo 1 the way its button does and look at it in the browser.
    const shape = await page.evaluate(async () => {
      const form = [...document.querySelectorAll('form[action="/track/photo"]')][0];
      const r = await fetch('/track/photo', { method: 'POST', body: new URLSearchParams(new FormData(form)) });
      const blob = await r.blob();
      const bmp = await createImageBitmap(blob, { imageOrientation: 'none' });
      const c = new OffscreenCanvas(bmp.width, bmp.height);
      const g = c.getContext('2d');
      g.drawImage(bmp, 0, 0);
      const [rr, gg, bb] = g.getImageData(bmp.width - 20, 20, 1, 1).data;
      return { type: r.headers.get('content-type'), size: blob.size, w: bmp.width, h: bmp.height, topRightRed: rr > 180 && gg < 80 && bb < 80 };
    });
    assert.equal(shape.type, 'image/jpeg');
    assert.ok(shape.h > shape.w, `stored upright (portrait): ${shape.w}×${shape.h}`);
    assert.ok(shape.topRightRed, 'the top-left of the sensor frame is at the top right: the pixels were turned');
    assert.ok(shape.size < PORTRAIT.length, `stored ${shape.size} bytes, smaller than the ${PORTRAIT.length} sent`);

    // Ask for a reward later, before conclusion.
    await nav(page, page.getByRole('button', { name: '申请举报奖励' }));
    await w.check('after asking for a reward');
    assert.ok(((await page.locator('main').textContent()) || '').includes('已收到您的奖励申请'));
    assert.equal(await page.getByRole('button', { name: '申请举报奖励' }).count(), 0, 'asked once');
  } finally {
    await ctx.close();
  }
});

test('the printable receipt prints with the site address and a QR code', { timeout: TIMEOUT }, async () => {
  const { ctx, page, w } = await open('resident print', DESKTOP);
  try {
    await page.goto('/report');
    await fillReport(page);
    await nav(page, page.getByRole('button', { name: '提交举报' }));
    await w.check('receipt (desktop)');
    await axe(page, 'receipt (desktop)');
    await look(page, 'resident-receipt-desktop.png');
    const code = await codeOn(page);
    await nav(page, page.getByRole('button', { name: '打开可打印的回执' }));
    await w.check('printable receipt');
    await axe(page, 'printable receipt');
    const text = (await page.locator('main').textContent()) || '';
    assert.ok(text.includes(code) && text.includes('/track'), 'the printout holds the code and where to type it');
    assert.equal(await page.locator('svg.qr').count(), 1);
    const pdf = await page.pdf({ format: 'A4', printBackground: false });
    if (env.artifacts) {
      fs.mkdirSync(path.join(env.artifacts, 'look'), { recursive: true });
      fs.writeFileSync(path.join(env.artifacts, 'look', 'receipt.pdf'), pdf);
    }
    assert.ok(pdf.length > 5000, 'a PDF was printed');
  } finally {
    await ctx.close();
  }
});

test('twelve honest filings from one address with a few mistakes are not refused', { timeout: TIMEOUT }, async () => {
  const { ctx, page, w } = await open('village office', PHONE);
  try {
    const codes = new Set();
    for (let i = 0; i < 12; i++) {
      await page.goto('/report');
      if (i % 4 === 1 || i % 4 === 2) {
        await fillReport(page, [i % 4 === 1 ? 'description' : 'captcha']);
        await checkAnswered(w, 422, `mistake before filing ${i + 1}`, () => nav(page, page.getByRole('button', { name: '提交举报' })));
        await page.getByLabel('发生了什么').fill('砂石厂夜里一直开机破碎石料，粉尘很大，噪声吵得整条街睡不着。');
        await page.getByLabel(/^验证码/).fill(await solveCaptcha(page));
      } else {
        await fillReport(page);
      }
      await nav(page, page.getByRole('button', { name: '提交举报' }));
      await w.check(`filing ${i + 1}`);
      assert.equal(new URL(page.url()).pathname, '/report/done', `filing ${i + 1} was refused: ${await page.locator('main').textContent()}`);
      codes.add(await codeOn(page));
    }
    assert.equal(codes.size, 12);
  } finally {
    await ctx.close();
  }
});

test('axe finds nothing on the other portal pages, at 375 px and on a desktop', { timeout: TIMEOUT }, async () => {
  for (const [label, device] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    const { ctx, page, w } = await open(`pages ${label}`, device);
    try {
      for (const [p, name] of [['/', 'home'], ['/report', 'report form'], ['/track', 'tracking form'], ['/help', 'help'], ['/stats', 'stats']]) {
        await page.goto(p);
        await w.check(name);
        await axe(page, `${name} (${label})`);
        await look(page, `resident-${name.replace(/ /g, '-')}-${label}.png`);
      }
      // axe can fail: take a label away and it must say so.
      await page.goto('/report');
      await page.evaluate(() => document.querySelector('label[for=name]').remove());
      const broken = await new AxeBuilder({ page }).analyze();
      assert.ok(broken.violations.some((v) => v.id === 'label'), 'axe did not notice an input without a label');
      // A tracking miss, and the receipt page once nothing is left to show.
      await page.goto('/track');
      await page.getByLabel('查询码').fill('ABCD-EFGH-JKMN-PQRS');
      await checkAnswered(w, 404, 'tracking miss', () => nav(page, page.getByRole('button', { name: '查询', exact: true })));
      await axe(page, `tracking miss (${label})`);
      await checkAnswered(w, 410, 'receipt gone', () => page.goto('/report/done'));
      await axe(page, `receipt gone (${label})`);
      await look(page, `resident-receipt-gone-${label}.png`);
    } finally {
      await ctx.close();
    }
  }
  assert.ok(axeSeen.size >= 10, `axe ran on ${axeSeen.size} pages`);
});
