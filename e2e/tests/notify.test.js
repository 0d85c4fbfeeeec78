// Every reporter hears back (issue 17): a confidential reporter's case moves
// accepted → verified → closed in the browser, and the SMS provider (a local
// stand-in for Alibaba Cloud SMS that checks each request as documented,
// signature recomputed) receives exactly three signed requests that carry
// nothing of the report. Then an SMS the provider refuses shows on the
// admin's outbox page as failed, and the retry button sends it.
//
// This file runs its own server (its own database, the same engine as the
// suite's) configured with the SMS provider: the suite's shared server keeps
// the default log channel.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { env, launch, PHONE, DESKTOP, Watcher, solveCaptcha, inboxRow } from '../lib/browser.js';
import { USERS, start, addUsers, cli, sleep } from '../lib/server.js';
import { startAliyun } from '../lib/smsprovider.js';

const TIMEOUT = 180_000;
const KEY_ID = 'LTAI5tE2eKeyId';
const KEY_SECRET = 'e2e-secret/with+odd=chars~';
const PHONE_A = '13900139001'; // the reporter whose case is worked through
const PHONE_B = '13900139002'; // the reporter whose first SMS the provider refuses

let browser;
let provider;
let server;
let tmp;
let dropDB = async () => {};
const state = {};

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecoreport-e2e-notify-'));
  const bin = path.join(path.dirname(env.captchaTool), 'ecoreport');
  provider = await startAliyun({ keyId: KEY_ID, secret: KEY_SECRET });
  let db = 'sqlite:' + path.join(tmp, 'notify.db');
  if (env.label === 'mariadb') {
    const mysqldb = path.join(path.dirname(env.captchaTool), 'mysqldb');
    const dsn = process.env.ECOREPORT_TEST_MYSQL_DSN;
    const name = `ecoreport_e2e_notify_${process.pid}_${Date.now().toString(36)}`;
    db = 'mysql:' + (await cli(mysqldb, ['create', dsn, name])).trim();
    await cli(bin, ['migrate', 'up', '--db', db]);
    dropDB = () => cli(mysqldb, ['drop', dsn, name]).catch(() => {});
  }
  // serve reads its configuration from the environment as well as flags.
  Object.assign(process.env, {
    ECOREPORT_SMS: 'aliyun', ECOREPORT_SMS_ENDPOINT: provider.url, ECOREPORT_SMS_KEY_ID: KEY_ID,
    ECOREPORT_SMS_KEY_SECRET: KEY_SECRET, ECOREPORT_SMS_SIGN_NAME: '石泉县生态环境', ECOREPORT_SMS_TEMPLATE: 'SMS_154950909',
    ECOREPORT_QUIET_HOURS: 'off', ECOREPORT_SMS_DAILY_CAP: '10', ECOREPORT_PUBLIC_URL: 'https://jubao.example.cn',
  });
  server = await start({ bin, db, dataDir: path.join(tmp, 'data'), logFile: path.join(tmp, 'server.log') });
  await addUsers(bin, db);
  env.base = server.base;
  env.db = db;
  env.adminPassword = server.adminPassword;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  const errors = server ? await server.stop() : [];
  await dropDB();
  await provider?.close();
  if (errors.length) console.log(`# notify server logged errors:\n${errors.join('\n')}`);
  assert.deepEqual(errors, [], 'the notify server logged no ERROR line');
  if (process.env.E2E_KEEP === '1') console.log(`# notify: logs kept in ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
});

async function open(name, device) {
  const ctx = await browser.newContext({ ...device, baseURL: env.base });
  ctx.setDefaultTimeout(15_000);
  const page = await ctx.newPage();
  return { ctx, page, w: new Watcher(page, name) };
}

async function nav(page, locator) {
  await Promise.all([page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() }), locator.click()]);
  await page.waitForLoadState('load');
}

async function login(page, w, user) {
  await page.goto('/office/login');
  await page.getByLabel('用户名').fill(user.name);
  await page.getByLabel('密码').fill(user.password);
  await nav(page, page.getByRole('button', { name: '登录' }));
  await w.check('after login');
}

async function expectText(locator, want) {
  const deadline = Date.now() + 10_000;
  let last = '';
  while (Date.now() < deadline) {
    if ((await locator.count()) > 0) {
      last = (await locator.first().textContent()) || '';
      if (last.includes(want)) return;
    }
    await sleep(100);
  }
  assert.fail(`expected ${locator} to contain "${want}", it reads: "${last.trim().slice(0, 300)}"`);
}

// smsTo are the provider's requests for one phone.
const smsTo = (phone) => provider.requests.filter((r) => r.phone === phone);

// The wait is generous: the worker polls every second, but a shared CI
// machine compiling beside the browser can stall it for many seconds.
async function waitForSMS(phone, n, what) {
  const deadline = Date.now() + 60_000;
  while (smsTo(phone).length < n) {
    if (Date.now() > deadline) assert.fail(`${what}: the provider got ${smsTo(phone).length} SMS for ${phone}, want ${n}`);
    await sleep(100);
  }
}

// fileConfidential files a confidential report with a phone through the
// portal on a phone and returns the receipt's code and reference.
async function fileConfidential(phone, text) {
  const { ctx, page, w } = await open('confidential reporter', PHONE);
  try {
    await page.goto('/report');
    await w.check('report form');
    await page.getByLabel('噪声', { exact: true }).check();
    await page.getByLabel('问题所在的镇').selectOption('城关镇');
    await page.getByLabel('详细地址').fill('城关镇西关村三组');
    await page.getByLabel('被举报对象').fill('西关石料加工点');
    await page.getByLabel('发生了什么').fill(text);
    await page.getByLabel(/^保密举报/).check();
    await page.getByLabel('联系电话（保密举报必填）').fill(phone);
    await page.getByLabel(/^验证码/).fill(await solveCaptcha(page));
    await nav(page, page.getByRole('button', { name: '提交举报' }));
    await w.check('receipt');
    const code = ((await page.locator('#code').textContent()) || '').trim();
    const ref = ((await page.locator('dt:has-text("受理编号") + dd').textContent()) || '').trim();
    assert.match(ref, /^R\d{7}$/, 'the receipt names the reference');
    return { code, ref };
  } finally {
    await ctx.close();
  }
}

test('a confidential reporter hears back three times, by SMS that reveals nothing', { timeout: TIMEOUT }, async () => {
  const report = '石料加工点每天凌晨四点开始破碎石料，噪声和粉尘很大，附近老人孩子睡不好。';
  const { code, ref } = await fileConfidential(PHONE_A, report);
  assert.equal(smsTo(PHONE_A).length, 0, 'filing owes no SMS');

  const insp = await open('inspector', DESKTOP);
  const { page, w } = insp;
  try {
    await login(page, w, USERS.inspector);
    const box = await inboxRow(page, ref);
    await nav(page, box.getByRole('button', { name: '受理', exact: true }));
    await w.check('accepted');
    const caseURL = new URL(page.url()).pathname;
    await waitForSMS(PHONE_A, 1, 'after 受理');

    await nav(page, page.getByRole('button', { name: '开始现场核查' }));
    await w.check('verifying');
    await page.getByLabel('核查结论').selectOption({ label: '属实' });
    await page.getByLabel('答复举报人（不属实时必填）').fill('经现场核查，该加工点无证夜间作业，举报属实，已责令整改。');
    await nav(page, page.getByRole('button', { name: '记录核查结论' }));
    await w.check('verified');
    await waitForSMS(PHONE_A, 2, 'after 核查结论');
    assert.equal(smsTo(PHONE_A).length, 2, 'starting the verification owes the reporter nothing');

    await page.getByLabel('责任单位').selectOption({ label: '城关镇' });
    await page.getByLabel('整改要求').fill('立即停止夜间作业，十日内报送整改情况。');
    await page.getByLabel('整改期限').fill(new Date(Date.now() + 10 * 86400_000).toISOString().slice(0, 10));
    await nav(page, page.getByRole('button', { name: '下达', exact: true }));
    await w.check('notice issued');

    const unit = await open('unit', DESKTOP);
    try {
      await login(unit.page, unit.w, USERS.unit);
      await unit.page.goto('/office/unit');
      const n = unit.page.locator('main .box').filter({ hasText: '整改要求' }).first();
      await n.getByLabel('整改情况').fill('加工点已停止夜间作业并加装围挡。');
      await nav(unit.page, n.getByRole('button', { name: '报告整改完成' }));
      await unit.w.check('reported');
    } finally {
      await unit.ctx.close();
    }

    await page.goto(caseURL);
    await page.getByLabel('验收意见及答复举报人').fill('经复查，该加工点已停止夜间作业，予以销号。');
    await nav(page, page.getByRole('button', { name: '验收销号' }));
    await w.check('closed');
    await waitForSMS(PHONE_A, 3, 'after 销号');
  } finally {
    await insp.ctx.close();
  }

  await sleep(2500); // nothing more is on its way
  const sms = smsTo(PHONE_A);
  assert.equal(sms.length, 3, 'exactly three SMS: accepted, verified, closed');
  const keys = new Set();
  for (const r of sms) {
    assert.ok(r.valid, `a request the provider refused: ${r.problem}`);
    assert.ok(r.delivered);
    assert.equal(r.params.TemplateCode, 'SMS_154950909');
    assert.equal(r.params.SignName, '石泉县生态环境');
    assert.deepEqual(r.template, { ref }, 'the template gets the reference and nothing else');
    for (const secret of [report, '石料', '西关', '城关镇', '噪声', code, code.replace(/-/g, ''), '属实', '整改']) {
      assert.ok(!r.raw.includes(secret) && !decodeURIComponent(r.raw.replace(/\+/g, ' ')).includes(secret), `an SMS request carries "${secret}"`);
    }
    keys.add(r.params.OutId);
  }
  assert.equal(keys.size, 3, 'three messages, not one sent three times');
});

test('the admin sees a failed SMS on the outbox page and sends it again', { timeout: TIMEOUT }, async () => {
  let refuse = true;
  provider.answer = (phone) => (phone === PHONE_B && refuse ? 'isv.MOBILE_NUMBER_ILLEGAL' : '');
  const { ref } = await fileConfidential(PHONE_B, '加工点的运料车每天半夜进出，喇叭声很大，路上撒满石粉。');
  const insp = await open('inspector', DESKTOP);
  try {
    await login(insp.page, insp.w, USERS.inspector);
    const box = await inboxRow(insp.page, ref);
    await nav(insp.page, box.getByRole('button', { name: '受理', exact: true }));
    await insp.w.check('accepted');
  } finally {
    await insp.ctx.close();
  }
  await waitForSMS(PHONE_B, 1, 'the refused SMS');

  const admin = await open('admin', DESKTOP);
  const { page, w } = admin;
  try {
    await login(page, w, { name: 'admin', password: env.adminPassword });
    await page.getByRole('link', { name: '消息发件箱' }).click();
    await page.waitForURL('**/office/outbox');
    await w.check('outbox, failures');
    const failed = page.locator('main .box.failed').filter({ hasText: ref });
    await expectText(failed, 'isv.MOBILE_NUMBER_ILLEGAL');
    await expectText(failed, '停止重试');
    assert.ok(!(await page.locator('main').textContent()).includes(PHONE_B), 'the page shows the phone masked');

    refuse = false; // the number was fixed at the provider
    await nav(page, failed.getByRole('button', { name: '立即重发' }));
    await w.check('outbox after retry');
    await expectText(page.locator('p.flash'), '已重新排入发送');
    await waitForSMS(PHONE_B, 2, 'the retried SMS');
    assert.ok(smsTo(PHONE_B)[1].delivered);

    // The message's own page tells its whole story.
    await page.goto('/office/outbox?view=sent');
    await w.check('outbox, sent');
    const sent = page.locator('main .box').filter({ hasText: ref });
    await nav(page, sent.getByRole('link', { name: /^消息 \d+$/ }).first());
    await w.check('message page');
    await expectText(page.locator('main'), '已发送');
    await expectText(page.locator('main'), '失败（停止重试）');
    await expectText(page.locator('main'), '第 1 次');
  } finally {
    await admin.ctx.close();
  }
});
