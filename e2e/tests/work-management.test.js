// Work management (issue 19), in order, against the one running server: the
// administrator opens an account for a new inspector (a bad form first, then
// the password shown once), registers a visit, finds it as one compact row
// of the inbox, gives it to the newcomer on the complaint's own page, takes
// it into a case there and gives the case to the newcomer too; the newcomer
// logs in with the password, finds the case under 我的问题 and again by
// searching a word of its description, on a phone too; a unit user's search
// does not find it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, launch, PHONE, DESKTOP, Watcher, shot } from '../lib/browser.js';
import { USERS } from '../lib/server.js';

const TIMEOUT = 150_000;
// A word no other test writes: the search must find this case and no other.
const WORD = '挖沙船';
const DESCRIPTION = `汉江边每天夜里有${WORD}在河道里作业，河床被挖出深坑，岸边堆满砂石。`;

let browser;
const watchers = [];
const state = {}; // what one step hands to the next

before(async () => { browser = await launch(); });
after(async () => {
  const known = new Set(watchers.flatMap((w) => [...w.known]));
  if (known.size) console.log(`# known page defects seen (${env.label}):\n#   ${[...known].join('\n#   ')}`);
  await browser?.close();
});

async function open(name, device) {
  const ctx = await browser.newContext({ ...device, baseURL: env.base });
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

async function login(page, w, name, password) {
  await page.goto('/office/login');
  await w.check('login form');
  await page.getByLabel('用户名').fill(name);
  await page.getByLabel('密码').fill(password);
  await nav(page, page.getByRole('button', { name: '登录' }));
  await w.check('after login');
  assert.ok(!new URL(page.url()).pathname.endsWith('/login'), `${name} could not log in: ${await page.locator('main').textContent()}`);
}

// refused submits a form the server must refuse with status (a field
// message beside the field): the page is checked as every other, but the
// browser's own console line for the expected status is not a defect.
async function refused(page, w, status, button, what) {
  w.expectStatus = status;
  await nav(page, button);
  await page.waitForLoadState('load');
  await new Promise((r) => setTimeout(r, 100)); // the console line comes after the load
  w.problems = w.problems.filter((p) => !p.includes(`status of ${status} `));
  await w.check(what);
  w.expectStatus = null;
}

async function text(locator) {
  return ((await locator.first().textContent()) || '').trim();
}

function requireState(...keys) {
  for (const k of keys) if (!state[k]) throw new Error(`an earlier step failed: no ${k} to continue with`);
}

test('the administrator opens an account for a new inspector', { timeout: TIMEOUT }, async () => {
  const { ctx, page, w } = await open('admin', DESKTOP);
  try {
    await login(page, w, 'admin', env.adminPassword);
    await nav(page, page.locator('header nav').getByRole('link', { name: '系统管理' }));
    await w.check('administration');
    await nav(page, page.getByRole('link', { name: '账号管理' }));
    await w.check('accounts');

    // A bad form comes back with what was typed and the message by the field.
    const form = page.locator('form#new');
    await form.getByLabel('用户名（登录名）').fill('王 建国');
    await form.getByLabel('姓名').fill('王建国');
    await form.getByLabel('角色').selectOption({ label: '督查人员' });
    await w.check('new account form');
    await refused(page, w, 422, form.getByRole('button', { name: '开设账号' }), 'refused account form');
    assert.match(await text(page.locator('form#new .field-error')), /用户名应为/);
    assert.equal(await page.locator('form#new').getByLabel('姓名').inputValue(), '王建国');

    assert.equal(await page.locator('form#new').getByLabel('角色').inputValue(), 'inspector');
    await page.locator('form#new').getByLabel('用户名（登录名）').fill('e2e_wang');
    await nav(page, page.locator('form#new').getByRole('button', { name: '开设账号' }));
    await w.check('password shown once');
    await assert.doesNotReject(() => page.getByText('只显示这一次').first().waitFor());
    state.password = await text(page.locator('p.code code'));
    assert.match(state.password, /^[A-Za-z2-9]{16}$/, `password shown: "${state.password}"`);

    // Gone once the page is left: the account page does not show it.
    await nav(page, page.getByRole('link', { name: '返回账号页面' }));
    await w.check('the new account');
    assert.ok(!(await page.locator('main').textContent()).includes(state.password), 'the password shows again');
  } finally {
    await ctx.close();
  }
});

test('the administrator registers a visit, gives it to the newcomer on its page, accepts it and gives the case too', { timeout: TIMEOUT }, async () => {
  requireState('password');
  const { ctx, page, w } = await open('admin-case', DESKTOP);
  try {
    await login(page, w, 'admin', env.adminPassword);
    await page.goto('/office/register');
    await w.check('register form');
    await page.getByLabel('来源渠道').selectOption({ label: '来访' });
    await page.getByLabel('乡镇').selectOption({ label: '喜河镇' });
    await page.getByLabel('地点').fill('喜河镇汉江大桥下游');
    await page.getByLabel('问题描述（至少10个字）').fill(DESCRIPTION);
    await page.getByLabel('匿名（不留联系方式）').check();
    await nav(page, page.getByRole('button', { name: '登记并生成查询码' }));
    await w.check('receipt');
    state.ref = (await text(page.locator('main p').filter({ hasText: '举报编号' }))).match(/R\d{7}/)[0];
    const complaintURL = `/office/complaints/${Number(state.ref.slice(1))}`;

    // The inbox, narrowed by the sidebar to visits, shows it as one compact
    // row: no form but 受理, everything else on the complaint's page.
    await page.goto('/office/inbox');
    await w.check('inbox');
    await nav(page, page.locator('nav.facets').getByRole('link', { name: /^来访/ }));
    await w.check('inbox, visits only');
    const row = () => page.locator('.box.row').filter({ has: page.locator('strong', { hasText: state.ref }) });
    assert.equal(await row().count(), 1, `row of ${state.ref}`);
    assert.equal(await row().locator('a').first().getAttribute('href'), complaintURL);
    assert.equal(await row().locator('details, select, input[type=text], textarea').count(), 0, 'a form in the row beside 受理');
    assert.match(await text(row().locator('p.muted')), /承办人：未分派/);
    await shot(page, 'inbox-compact.png', { fullPage: false });

    // On its page: who holds it in triage, and the form to give it.
    await nav(page, row().getByRole('link', { name: '并入、不予受理、分派、联系方式' }));
    await w.check('complaint page');
    assert.equal(new URL(page.url()).pathname, complaintURL);
    assert.match(await text(page.locator('.box.assign')), /承办人：未指派/);
    await page.locator('.box.assign').getByLabel('指派给').selectOption({ label: '王建国' });
    await nav(page, page.locator('.box.assign').getByRole('button', { name: '指派' }));
    await w.check('complaint page, assigned');
    assert.equal(new URL(page.url()).pathname, complaintURL, 'the form came back to the complaint page');
    assert.match(await text(page.locator('p.flash')), /已分派给 王建国/);
    assert.match(await text(page.locator('.box.assign')), /承办人：王建国/);

    await page.goto('/office/inbox?channel=visit');
    await w.check('inbox, the holder on the row');
    assert.match(await text(row().locator('p.muted')), /承办人：王建国/);

    // Accepted from its page (a new case), and the case given too.
    await page.goto(complaintURL);
    await w.check('complaint page again');
    await nav(page, page.locator('#triage').getByRole('button', { name: '受理', exact: true }));
    await w.check('case page after accepting');
    state.caseURL = new URL(page.url()).pathname;
    state.caseRef = (await text(page.locator('h1'))).match(/C\d{6}/)[0];

    await page.locator('.box.assign').getByLabel('指派给').selectOption({ label: '王建国' });
    await nav(page, page.locator('.box.assign').getByRole('button', { name: '指派' }));
    await w.check('case page, assigned');
    assert.match(await text(page.locator('p.flash')), /已指派承办人/);
    assert.match(await text(page.locator('.box.assign')), /承办人：王建国/);
    assert.match(await page.locator('main').textContent(), /承办人：无 → 王建国/);
  } finally {
    await ctx.close();
  }
});

test('the newcomer finds the case under 我的问题 and by a word of its description', { timeout: TIMEOUT }, async () => {
  requireState('password', 'caseRef');
  const { ctx, page, w } = await open('newcomer', DESKTOP);
  try {
    await login(page, w, 'e2e_wang', state.password);
    await nav(page, page.locator('header nav').getByRole('link', { name: '我的问题' }));
    await w.check('我的问题');
    const mine = page.locator('main table').first().locator('tr').filter({ hasText: state.caseRef });
    assert.equal(await mine.count(), 1, `${state.caseRef} under 我的问题`);
    assert.match(await mine.textContent(), /\d{4}-\d{2}-\d{2}/, 'with its deadline');

    await nav(page, page.locator('header nav').getByRole('link', { name: '查找' }));
    await w.check('search form');
    await page.getByLabel('查找内容').fill(WORD);
    await nav(page, page.getByRole('button', { name: '查找', exact: true }));
    await w.check('search results');
    assert.equal(await page.locator('main table a', { hasText: state.ref }).count(), 1, `${state.ref} found by ${WORD}`);
    await shot(page, 'search-results.png');
    await nav(page, page.locator('main table a', { hasText: state.caseRef }).first());
    await w.check('the case from the search');
    assert.equal(new URL(page.url()).pathname, state.caseURL);

    // A one-character word is answered beside the field, what was typed kept.
    await page.goto('/office/search');
    await page.getByLabel('查找内容').fill('沙');
    await refused(page, w, 422, page.getByRole('button', { name: '查找', exact: true }), 'refused search');
    assert.match(await text(page.locator('.field-error')), /只有一个字/);
    assert.equal(await page.getByLabel('查找内容').inputValue(), '沙');
  } finally {
    await ctx.close();
  }

  // The same on a phone.
  const phone = await open('newcomer-phone', PHONE);
  try {
    await login(phone.page, phone.w, 'e2e_wang', state.password);
    await phone.page.goto('/office/search?q=' + encodeURIComponent(WORD));
    await phone.w.check('search results on a phone');
    assert.equal(await phone.page.locator('main table a', { hasText: state.ref }).count(), 1);
    await phone.page.goto('/office/inbox');
    await phone.w.check('inbox on a phone');
  } finally {
    await phone.ctx.close();
  }
});

test('a unit does not find another unit\'s case, nor the complaints', { timeout: TIMEOUT }, async () => {
  requireState('caseRef');
  const { ctx, page, w } = await open('unit-search', DESKTOP);
  try {
    await login(page, w, USERS.unit.name, USERS.unit.password);
    await page.goto('/office/search?q=' + encodeURIComponent(WORD));
    await w.check('a unit\'s search');
    assert.equal(await page.locator('main table a', { hasText: state.caseRef }).count(), 0, 'the unit found a case it was not sent');
    assert.equal(await page.getByRole('heading', { name: /举报件/ }).count(), 0, 'a unit sees complaints');
    await page.goto('/office/search?q=' + encodeURIComponent(state.caseRef));
    await w.check('a unit\'s search by reference');
    assert.equal(await page.locator('main table a', { hasText: state.caseRef }).count(), 0);
  } finally {
    await ctx.close();
  }
});
