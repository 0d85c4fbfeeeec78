// The hotline round trip of issue 18, as an operator and a caller live it:
// the operator imports the call centre's export, then its re-export, then by
// mistake yesterday's file again; the receipt says first that the file was
// imported before and that five rows are older than the ledger, and nothing
// goes back. A rejected row shows the caller masked and is fixed. The
// operator reads a caller's tracking code out (from the code page and the
// feedback file), and the caller follows the ticket on a phone with the
// ticket number typed any way, or with that code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { env, launch, PHONE, DESKTOP, Watcher, expecting } from '../lib/browser.js';
import { USERS } from '../lib/server.js';

const TIMEOUT = 150_000;
const sample = (name) => fileURLToPath(new URL(`../../hotline/testdata/${name}`, import.meta.url));
const FIRST = sample('01-12369-utf8-bom.csv');
const REEXPORT = sample('03-12369-reexport.csv');
// 吴涛 called from 16902053998 about ticket 12369SQ202610220002 (in both files).
const TICKET = '12369SQ202610220002';

let browser;
const watchers = [];
const state = {};

before(async () => { browser = await launch(); });
after(async () => {
  const known = new Set(watchers.flatMap((w) => [...w.known]));
  if (known.size) console.log(`# known page defects seen (${env.label}):\n#   ${[...known].join('\n#   ')}`);
  await browser?.close();
});

async function open(name, device) {
  const ctx = await browser.newContext({ ...device, baseURL: env.base, acceptDownloads: true });
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

async function text(locator) {
  return ((await locator.first().textContent()) || '').replace(/\s+/g, ' ');
}

async function login(page, w, user) {
  await page.goto('/office/login');
  await w.check('login form');
  await page.getByLabel('用户名').fill(user.name);
  await page.getByLabel('密码').fill(user.password);
  await nav(page, page.getByRole('button', { name: '登录' }));
  await w.check('after login');
  assert.ok(!new URL(page.url()).pathname.endsWith('/login'), `${user.name} could not log in`);
}

async function upload(page, w, file, what) {
  await page.goto('/office/hotline');
  await w.check('hotline import page');
  await page.locator('input[type=file][name=file]').setInputFiles(file);
  await nav(page, page.getByRole('button', { name: '导入', exact: true }));
  await w.check(what);
  return text(page.locator('main'));
}

test('an older export imported by mistake is stale and changes nothing', { timeout: TIMEOUT }, async () => {
  const { ctx, page, w } = await open('hotline operator', DESKTOP);
  try {
    await login(page, w, USERS.operator);
    let main = await upload(page, w, FIRST, 'receipt of the first export');
    assert.match(main, /新导入 30，已更新 0/);
    assert.equal(await page.locator('p.warn').count(), 0, 'a new file is not said to be known');
    const row = page.locator('main tr', { has: page.locator('td', { hasText: TICKET }) });
    state.code = ((await row.locator('code').textContent()) || '').trim();
    assert.match(state.code, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/, `tracking code of ${TICKET}`);

    main = await upload(page, w, REEXPORT, 'receipt of the re-export');
    assert.match(main, /新导入 0，已更新 5/);
    const batch = (main.match(/批次\s*(\d+)/) || [])[1];
    assert.ok(batch, 'the receipt names its batch');

    main = await upload(page, w, FIRST, 'receipt of the older export again');
    const warn = await text(page.locator('main p.warn'));
    assert.match(warn, /^此文件已于 .* 导入（批次 \d+），本次逐行核对，未重复导入。$/);
    assert.match(main, /新导入 0，已更新 0，无变化 25，比台账旧 5/);
    const stale = page.locator('main tr', { has: page.locator('td:nth-child(3)', { hasText: /^比台账旧$/ }) });
    assert.equal(await stale.count(), 5, 'five rows listed as older than the ledger');
    assert.match(await text(stale), new RegExp(`此版本已被批次 ${batch} 导入的较新版本取代`));

    await page.goto('/office/hotline');
    await w.check('import history');
    // The newest batch first: file, then 新导入 已更新 无变化 比台账旧 拒收.
    const cells = (await page.locator('main table tr').nth(1).locator('td').allTextContents()).map((c) => c.trim());
    assert.equal(cells[2], '01-12369-utf8-bom.csv');
    assert.deepEqual(cells.slice(4, 9), ['0', '0', '25', '5', '0']);
  } finally {
    await ctx.close();
  }
});

test('a rejected row shows the caller masked and is fixed', { timeout: TIMEOUT }, async () => {
  const { ctx, page, w } = await open('hotline operator', DESKTOP);
  try {
    await login(page, w, USERS.operator);
    const file = {
      name: '回拨补录.csv', mimeType: 'text/csv',
      buffer: Buffer.from('工单编号,来电时间,来电人,来电号码,举报内容\n12369SQ202612010001,2026-12-01 09:30,王芳,13912345678,\n'),
    };
    const main = await upload(page, w, file, 'receipt with a rejected row');
    assert.match(main, /拒收 1/);
    await page.goto('/office/hotline/quarantine');
    await w.check('quarantine');
    const section = page.locator('main section', { hasText: '12369SQ202612010001' });
    const shown = await text(section);
    assert.ok(shown.includes('王*') && shown.includes('139****5678'), `the caller masked: ${shown}`);
    assert.ok(!shown.includes('王芳') && !shown.includes('13912345678'), 'the caller in clear on the quarantine page');
    assert.equal(await section.locator('input[value="13912345678"]').count(), 0, 'the phone offered for editing');
    await section.getByLabel('举报内容').fill('回拨补录：工地夜间施工噪声扰民。');
    await nav(page, section.getByRole('button', { name: '修正并导入' }));
    await w.check('after the fix');
    assert.match(await text(page.locator('main')), /新导入 1/);
    await page.goto('/office/hotline/quarantine');
    await w.check('quarantine after the fix');
    assert.equal(await page.locator('main section', { hasText: '12369SQ202612010001' }).count(), 0);
  } finally {
    await ctx.close();
  }
});

test('the operator reads the tracking code out, from the code page and the feedback file', { timeout: TIMEOUT }, async () => {
  assert.ok(state.code, 'an earlier test failed: no code');
  const { ctx, page, w } = await open('hotline operator', DESKTOP);
  try {
    await login(page, w, USERS.operator);
    await page.goto('/office/hotline/code');
    await w.check('code page');
    await page.getByLabel('工单编号').fill(TICKET);
    await nav(page, page.getByRole('button', { name: '查看' }));
    await w.check('code shown');
    assert.equal(((await page.locator('main code.big').textContent()) || '').trim(), state.code);

    await page.goto('/office/hotline/feedback');
    await w.check('feedback form');
    await page.getByLabel('按日期：').check();
    const day = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    await page.getByLabel('从', { exact: true }).fill(day);
    await page.getByLabel('至', { exact: true }).fill(day);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载' }).click()]);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    const line = csv.split('\r\n').find((l) => l.startsWith(TICKET + ','));
    assert.ok(line, `${TICKET} in the feedback file`);
    assert.equal(line.split(',')[1], state.code, 'the feedback file gives the real tracking code');
  } finally {
    await ctx.close();
  }
});

test('the caller follows the ticket on a phone, by ticket number typed any way or by the code', { timeout: TIMEOUT }, async () => {
  assert.ok(state.code, 'an earlier test failed: no code');
  const { ctx, page, w } = await open('hotline caller', PHONE);
  try {
    await page.goto('/track');
    await w.check('track form');
    await page.getByLabel('热线工单编号').fill(TICKET.toLowerCase());
    await page.getByLabel('来电手机号后四位').fill('３９９８'); // full-width, as a Chinese keyboard may type them
    await nav(page, page.getByRole('button', { name: '查询热线工单' }));
    await w.check('tracking page by ticket');
    assert.match(await text(page.locator('main')), /办理进度|已接收/);

    await page.goto('/track');
    await w.check('track form again');
    await page.getByLabel('热线工单编号').fill(TICKET);
    await page.getByLabel('来电手机号后四位').fill('0000');
    await expecting(w, 404, () => nav(page, page.getByRole('button', { name: '查询热线工单' })));
    await w.check('a miss by ticket');
    assert.match(await text(page.locator('main')), /未找到该热线工单/);

    await page.goto('/track');
    await w.check('track form, by code');
    await page.getByLabel('查询码').fill(state.code.toLowerCase());
    await nav(page, page.getByRole('button', { name: '查询', exact: true }));
    await w.check('tracking page by code');
    assert.match(await text(page.locator('main')), /办理进度|已接收/);
  } finally {
    await ctx.close();
  }
});
