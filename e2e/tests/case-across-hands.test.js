// The case across hands (issue 15), against one running server: a resident
// files a report with two photos and later adds a third; the inspector sees
// all three on the case page and opens one, shares one with the unit and
// issues a notice, which prints on one A4 page; the unit sees the address
// and that one photo only and reports with a before and an after photo; the
// inspector sees them and closes the case; a new complaint about the same
// spot cannot silently land in the closed case, and reopening it explicitly
// withdraws the old answer on the first reporter's tracking page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { env, launch, PHONE, DESKTOP, Watcher, solveCaptcha, shot, png } from '../lib/browser.js';
import { USERS } from '../lib/server.js';

const run = promisify(execFile);
const TIMEOUT = 150_000;
const PLACE = '城关镇西关街88号 老水泥厂院内';
const PARTY = '西关某水泥制品厂';

let browser;
const watchers = [];
const state = {}; // code, ref, caseURL, noticeURL, photo ids

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function open(name, device) {
  const ctx = await browser.newContext({ ...device, baseURL: env.base });
  ctx.setDefaultTimeout(15_000);
  const page = await ctx.newPage();
  const w = new Watcher(page, name);
  watchers.push(w);
  return { ctx, page, w };
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

function requireState(...keys) {
  for (const k of keys) if (!state[k]) throw new Error(`an earlier step failed: no ${k} to continue with`);
}

// fileReport files a report on a phone about the same spot and returns the
// tracking code and the reference from the receipt.
async function fileReport(page, w, description, photos) {
  await page.goto('/report');
  await w.check('report form');
  await page.getByLabel('大气', { exact: true }).check();
  await page.getByLabel('问题所在的镇').selectOption('城关镇');
  await page.getByLabel('详细地址').fill(PLACE);
  await page.getByLabel('被举报对象').fill(PARTY);
  await page.getByLabel('发生了什么').fill(description);
  if (photos.length) await page.locator('#photos').setInputFiles(photos);
  await page.getByLabel(/^验证码/).fill(await solveCaptcha(page));
  await nav(page, page.getByRole('button', { name: '提交举报' }));
  await w.check('receipt');
  const code = ((await page.locator('#code').textContent()) || '').trim();
  const ref = ((await page.locator('dt:has-text("受理编号") + dd').textContent()) || '').trim();
  assert.match(code, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
  return { code, ref };
}

async function track(page, w, code) {
  await page.goto('/track');
  await w.check('tracking form');
  await page.getByLabel('查询码').fill(code);
  await nav(page, page.getByRole('button', { name: '查询', exact: true }));
  await w.check('tracking page');
}

// photoIDs lists the reporter's photos linked in a part of a page.
async function photoIDs(locator, kind = 'attachments') {
  const hrefs = await locator.locator(`a[href^="/office/${kind}/"]`).evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  return [...new Set(hrefs.map((h) => h.split('/').pop()))];
}

// openPhoto fetches a photo with the page's session, as a click on its link
// in a new tab would, and returns the answer.
async function openPhoto(page, href) {
  return page.request.get(href, { maxRedirects: 0 });
}

test('a resident files with two photos and adds a third', { timeout: TIMEOUT }, async () => {
  const { ctx, page, w } = await open('resident', PHONE);
  try {
    const filed = await fileReport(page, w, '水泥制品厂每天夜里切割水泥构件，粉尘漫天，窗台上一层灰，晚上根本不敢开窗。',
      [{ name: '粉尘1.png', mimeType: 'image/png', buffer: png(90, 60, 11) }, { name: '粉尘2.png', mimeType: 'image/png', buffer: png(90, 60, 22) }]);
    await expectText(page.locator('dl.facts'), '2张');
    state.code = filed.code;
    state.ref = filed.ref;

    await track(page, w, filed.code);
    await page.getByLabel('补充说明').fill('今晚9点又开始切割，补充一张照片。');
    await page.getByLabel(/^照片（最多6张/).setInputFiles({ name: 'night.png', mimeType: 'image/png', buffer: png(80, 60, 33) });
    await nav(page, page.getByRole('button', { name: '提交补充材料' }));
    await w.check('after adding a photo');
    await expectText(page.locator('main'), '补充材料已提交');
  } finally {
    await ctx.close();
  }
});

test('the inspector sees all three photos, opens one, shares one and issues a notice that prints on one A4 page', { timeout: TIMEOUT }, async () => {
  requireState('ref');
  const { ctx, page, w } = await open('inspector', DESKTOP);
  try {
    await login(page, w, USERS.inspector);
    // The inbox is oldest first, 50 compact rows a page: the report just
    // filed is on its last page, and its row links to the complaint's own
    // page, where the triage is.
    await page.goto('/office/inbox?last=1');
    await w.check('inbox');
    const row = page.locator('.box.row').filter({ has: page.locator('strong', { hasText: state.ref }) });
    assert.equal(await row.locator('details, select, textarea').count(), 0, 'triage forms on the inbox row');
    await nav(page, row.locator('a', { has: page.locator('strong', { hasText: state.ref }) }));
    await w.check('complaint page');
    await expectText(page.locator('h1'), state.ref);
    await expectText(page.locator('main'), PLACE);
    await expectText(page.locator('main'), '今晚9点又开始切割');
    assert.equal((await photoIDs(page.locator('#evidence'))).length, 3, 'three photos on the complaint page');

    await nav(page, page.locator('#triage').getByRole('button', { name: '受理', exact: true }));
    await w.check('case page after accepting');
    state.caseURL = new URL(page.url()).pathname;
    const ids = await photoIDs(page.locator('main'));
    assert.equal(ids.length, 3, `the reporter's three photos on the case page, found ${ids}`);
    state.photos = ids;

    // Open one: served to the inspector, never cached, audited.
    const r = await openPhoto(page, `/office/attachments/${ids[0]}`);
    assert.equal(r.status(), 200);
    assert.equal(r.headers()['content-type'], 'image/png');
    assert.equal(r.headers()['cache-control'], 'no-store');
    const body = await r.body();
    assert.deepEqual([...body.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG');

    await page.getByLabel('告知举报人（可留空）').fill('工作人员将到现场核查。');
    await nav(page, page.getByRole('button', { name: '开始现场核查' }));
    await w.check('verifying');
    await page.getByLabel('核查结论').selectOption({ label: '属实' });
    await page.getByLabel('答复举报人（不属实时必填）').fill('经现场核查，该厂夜间切割作业未采取降尘措施，举报属实，已责令整改。');
    await nav(page, page.getByRole('button', { name: '记录核查结论' }));
    await w.check('substantiated');

    // Share the second photo with the unit.
    await page.locator('#evidence').getByLabel(`举报时照片 ${ids[1]}`, { exact: true }).check();
    await nav(page, page.locator('#evidence').getByRole('button', { name: '保存' }));
    await w.check('photo shared');
    await expectText(page.locator('p.flash'), '1张');

    await page.getByLabel('责任单位').selectOption({ label: '城关镇' });
    await page.getByLabel('整改要求').fill([
      '一、立即停止夜间切割作业，22时至次日6时不得进行产生粉尘和噪声的作业；',
      '二、切割工位加装湿法降尘和集尘设施，并正常运行；',
      '三、厂区堆料全部苫盖，道路硬化并定时洒水；',
      '四、建立降尘设施运行台账，每日记录；',
      '五、对周边居民公开整改进展，接受监督；',
      '六、明确整改责任人和完成时限；',
      '七、整改完成后报送整改前、后照片；',
      '八、十五日内将整改报告报送督查巡查工作专班。',
    ].join('\n'));
    await page.getByLabel('整改期限').fill(new Date(Date.now() + 15 * 86400_000).toISOString().slice(0, 10));
    await nav(page, page.getByRole('button', { name: '下达', exact: true }));
    await w.check('notice issued');

    // The notice quotes the whole problem and prints on one A4 page.
    state.noticeURL = await page.locator('main a[href^="/office/notices/"]').first().getAttribute('href');
    await page.goto(state.noticeURL);
    await w.check('notice');
    await expectText(page.locator('.sheet'), '窗台上一层灰，晚上根本不敢开窗');
    await expectText(page.locator('.sheet'), PLACE);
    assert.ok(await page.getByRole('button', { name: '打印' }).isVisible(), 'the print button is shown by the static script');
    const pages = await printedPages(page, 'notice');
    assert.equal(pages, 1, `the notice printed on ${pages} A4 pages`);
  } finally {
    await ctx.close();
  }
});

test('the unit sees the address and the one shared photo, and reports with a before and an after photo', { timeout: TIMEOUT }, async () => {
  requireState('caseURL', 'photos');
  const { ctx, page, w } = await open('unit', DESKTOP);
  try {
    await login(page, w, USERS.unit);
    await page.goto('/office/unit');
    await w.check('unit page');
    const box = page.locator('main .box').filter({ hasText: PLACE }).first();
    await expectText(box, PLACE);
    await expectText(box, '立即停止夜间切割作业');
    const seen = await photoIDs(box);
    assert.deepEqual(seen, [state.photos[1]], `the unit sees only the shared photo, it sees ${seen}`);
    assert.equal((await openPhoto(page, `/office/attachments/${state.photos[1]}`)).status(), 200);
    for (const id of [state.photos[0], state.photos[2]]) {
      assert.equal((await openPhoto(page, `/office/attachments/${id}`)).status(), 404, `unshared photo ${id}`);
    }
    await shot(page, 'unit.png');

    await box.getByLabel('整改情况').fill('已停止夜间切割作业，切割工位加装湿法降尘设施并正常运行，堆料已苫盖。');
    await box.getByLabel(/^整改前照片/).setInputFiles({ name: 'before.png', mimeType: 'image/png', buffer: png(100, 70, 44) });
    await box.getByLabel(/^整改后照片/).setInputFiles({ name: 'after.png', mimeType: 'image/png', buffer: png(100, 70, 55) });
    await nav(page, box.getByRole('button', { name: '报告整改完成' }));
    await w.check('unit page after reporting');
    await expectText(page.locator('p.flash'), '整改情况已报送');
    await expectText(page.locator('main .box').filter({ hasText: PLACE }).first(), '本单位报送的照片');
  } finally {
    await ctx.close();
  }
});

test('the inspector sees the before/after photos and closes; the same spot cannot land silently in the closed case', { timeout: TIMEOUT }, async () => {
  requireState('caseURL', 'code');
  const insp = await open('inspector again', DESKTOP);
  const { page, w } = insp;
  try {
    await login(page, w, USERS.inspector);
    await page.goto(state.caseURL);
    await w.check('case page, submitted');
    await expectText(page.locator('main .box').first(), '待验收');
    const reported = await photoIDs(page.locator('#evidence'), 'case-photos');
    assert.equal(reported.length, 2, `the unit's before and after photos, found ${reported}`);
    await expectText(page.locator('#evidence'), '整改前');
    await expectText(page.locator('#evidence'), '整改后');
    const r = await openPhoto(page, `/office/case-photos/${reported[1]}`);
    assert.equal(r.status(), 200);
    await expectText(page.locator('main'), '已提供给责任单位');
    await shot(page, 'case-evidence.png');

    await page.getByLabel('验收意见及答复举报人').fill('经复查，该厂已停止夜间切割，降尘设施正常运行，问题已整改到位，予以销号。');
    await nav(page, page.getByRole('button', { name: '验收销号' }));
    await w.check('case closed');
    await expectText(page.locator('main .box').first(), '已销号');

    // A new complaint about the same spot.
    const res = await open('resident, later', PHONE);
    let again;
    try {
      again = await fileReport(res.page, res.w, '西关水泥制品厂这几天夜里又开始切割了，粉尘又飘进家里。', []);
    } finally {
      await res.ctx.close();
    }
    await page.goto('/office/inbox?last=1');
    await w.check('inbox, the spot again');
    await nav(page, page.locator('.box.row a', { has: page.locator('strong', { hasText: again.ref }) }));
    await w.check('complaint page, the spot again');
    const caseRef = closedRef();
    await expectText(page.locator('#triage'), '近期已销号的相似问题');
    await page.locator('#triage').getByLabel('并入问题（留空则新立案）').fill(caseRef);
    await nav(page, page.locator('#triage').getByRole('button', { name: '受理', exact: true }), 409);
    await w.check('refused: the case is closed');
    await expectText(page.locator('[role=alert]'), '已销号，不能直接并入');
    await expectText(page.locator('main .box').first(), '已接收');

    // Chosen explicitly: the problem came back.
    await page.locator('#triage').getByLabel(/问题反弹，重新整改（并入已销号/).check();
    await nav(page, page.locator('#triage').getByRole('button', { name: '受理', exact: true }));
    await w.check('case reopened');
    assert.equal(new URL(page.url()).pathname, state.caseURL);
    await expectText(page.locator('main .box').first(), '重新整改');
    await expectText(page.locator('main .box').first(), '原答复已于');
  } finally {
    await insp.ctx.close();
  }

  // The first reporter no longer reads the old answer as the answer.
  const { ctx, page: rp, w: rw } = await open('resident, after the reopening', PHONE);
  try {
    await track(rp, rw, state.code);
    await expectText(rp.locator('.status'), '整改中');
    await expectText(rp.locator('main'), '此前的答复已撤回');
  } finally {
    await ctx.close();
  }
});

// closedRef is the reference of the case the story works.
function closedRef() {
  return 'C' + state.caseURL.split('/').pop().padStart(6, '0');
}

// printedPages prints the page as Chromium does (A4, the page's own CSS page
// box), renders every PDF page to a PNG with poppler and returns how many
// pages there are. The PNGs are kept with the run's artifacts.
async function printedPages(page, name) {
  const dir = env.artifacts || fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'print-'));
  fs.mkdirSync(dir, { recursive: true });
  const pdf = path.join(dir, `${name}-${env.label}.pdf`);
  await page.pdf({ path: pdf, format: 'A4', preferCSSPageSize: true, printBackground: true });
  const prefix = path.join(dir, `${name}-${env.label}`);
  await run('pdftoppm', ['-png', '-r', '60', pdf, prefix]);
  const pngs = fs.readdirSync(dir).filter((f) => f.startsWith(`${name}-${env.label}-`) && f.endsWith('.png'));
  for (const f of pngs) {
    const b = fs.readFileSync(path.join(dir, f));
    // A4 at 60 dpi is 496×702 px; the PNG header holds width and height.
    const [wd, ht] = [b.readUInt32BE(16), b.readUInt32BE(20)];
    assert.ok(Math.abs(wd - 496) <= 2 && Math.abs(ht - 702) <= 2, `${f} is ${wd}×${ht}, not A4`);
  }
  return pngs.length;
}

async function nav(page, locator, expectStatus) {
  const w = watchers.find((x) => x.page === page);
  if (w && expectStatus) w.expectStatus = expectStatus;
  try {
    await Promise.all([page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() }), locator.click()]);
    await page.waitForLoadState('load');
    if (w) await Promise.all([...w.pending]);
    // Chromium reports an answer ≥ 400 as a console error; the one the
    // step expects is not a problem (the Watcher checked its status).
    if (w && expectStatus) {
      w.problems = w.problems.filter((p) => !p.includes(`status of ${expectStatus} `));
    }
  } finally {
    if (w) w.expectStatus = null;
  }
}

async function expectText(locator, want) {
  const deadline = Date.now() + 10_000;
  let last = '';
  while (Date.now() < deadline) {
    if ((await locator.count()) > 0) {
      last = (await locator.first().textContent()) || '';
      if (last.includes(want)) return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`expected ${locator} to contain "${want}", it reads: "${last.trim().slice(0, 300)}"`);
}
