// The staff journey in a real browser at 1366×768: an agent registers a complaint from the
// console and dispatches it by hand → the department's handler accepts it (签收), gives
// feedback (反馈) and resolves it (办结) → the supervisor sees it in the board's figures → on a
// phone (390 px) the administrator, warned that next year's holidays are missing, reads the
// year view and enters next year's notice through its preview.
// Screenshots of the main pages go to the directory given second.
// Usage: node staff_journey.js <base URL> <screenshot dir>
'use strict';
const { chromium } = require('playwright-core');
const path = require('path');
const fs = require('fs');

const [base, shots] = process.argv.slice(2);
if (!base || !shots) {
  console.error('usage: node staff_journey.js <base URL> <screenshot dir>');
  process.exit(2);
}
fs.mkdirSync(shots, { recursive: true });

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function login(browser, username, password, viewport) {
  const ctx = await browser.newContext({ viewport: viewport || { width: 1366, height: 768 }, locale: 'zh-CN' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(base + '/login');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, name + '.png'), fullPage: false });
}

(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  try {
    // The login page, in Chinese.
    {
      const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
      const page = await ctx.newPage();
      await page.goto(base + '/login');
      check((await page.textContent('h2')).includes('工作人员登录'), 'login page is not in Chinese');
      await shot(page, 'login');
      await ctx.close();
    }

    // The agent registers while talking, keyboard first.
    const agent = await login(browser, 'agent1', 'demo-agent');
    check(agent.url().endsWith('/console'), 'agent did not land on the console: ' + agent.url());
    await agent.keyboard.press('Alt+N');
    await agent.keyboard.type('王女士');
    await agent.keyboard.press('Alt+P');
    await agent.keyboard.type('13912345678');
    await agent.selectOption('select[name=category]', 'wage-arrears');
    await agent.keyboard.press('Alt+D');
    await agent.keyboard.type('某公司拖欠三个月工资，多次讨要无果');
    await agent.fill('input[name=address]', '西城区新街口外大街8号');
    await agent.check('input[name=mode][value=dispatch]');
    await agent.selectOption('select[name=department]', 'hrss');
    await agent.keyboard.press('Alt+K');
    await agent.keyboard.type('欠薪');
    await agent.waitForSelector('#kb-results article.kb');
    await agent.waitForSelector('#side h2');
    await shot(agent, 'console');
    await agent.focus('textarea[name=description]');
    await Promise.all([agent.waitForNavigation(), agent.keyboard.press('Control+Enter')]);
    const m = agent.url().match(/\/tickets\/(\d{8}-\d{6})/);
    check(m, 'no ticket page after registering: ' + agent.url());
    const number = m[1];
    check((await agent.textContent('.status')).includes('已派单'), 'ticket not dispatched');
    await shot(agent, 'ticket-registered');

    // The handler works the ticket from the workbench.
    const handler = await login(browser, 'handler-hrss', 'demo-handler');
    check(handler.url().endsWith('/workbench'), 'handler did not land on the workbench');
    const row = handler.locator(`tr[data-number="${number}"]`);
    await row.waitFor();
    check((await row.getAttribute('class')).startsWith('row-'), 'queue row has no clock colour');
    await shot(handler, 'workbench');
    await Promise.all([handler.waitForNavigation(), row.locator('button', { hasText: '签收' }).click()]);
    await handler.goto(base + '/tickets/' + number);
    check((await handler.textContent('#phone')).includes('139****5678'), 'handler sees the full phone number');
    await handler.fill('#form-feedback textarea[name=text]', '已电话联系王女士，约谈企业负责人');
    await Promise.all([handler.waitForNavigation(), handler.click('#form-feedback button')]);
    await handler.fill('#form-note textarea[name=text]', '企业承诺周五前补发');
    await Promise.all([handler.waitForNavigation(), handler.click('#form-note button')]);
    await handler.fill('#form-resolve textarea[name=text]', '企业已补发全部工资，王女士确认收到');
    await Promise.all([handler.waitForNavigation(), handler.click('#form-resolve button')]);
    check((await handler.textContent('.status')).includes('已办结'), 'ticket not resolved');
    check(await handler.locator('#timeline li.internal[data-kind=note]').count() === 1, 'internal note not told apart');
    await shot(handler, 'ticket-resolved');

    // The supervisor sees it in the figures.
    const sup = await login(browser, 'supervisor', 'demo-supervisor');
    check(sup.url().endsWith('/board'), 'supervisor did not land on the board');
    const resolved = await sup.textContent('tr[data-dept=hrss] td.resolved-today');
    check(resolved.trim() === '1', 'board shows ' + resolved + ' resolved today for hrss');
    await sup.waitForSelector('#chart canvas');
    await shot(sup, 'board');
    await sup.goto(base + '/tickets/' + number);
    await shot(sup, 'ticket-timeline');

    const admin = await login(browser, 'admin', 'demo-admin');
    await admin.goto(base + '/admin/staff');
    await shot(admin, 'admin-staff');

    // The calendar on a phone: the warning, a year view that fits, and next year entered.
    const phone = await login(browser, 'admin', 'demo-admin', { width: 390, height: 844 });
    await phone.goto(base + '/admin/calendar?year=2026');
    const warning = await phone.textContent('#calendar-missing');
    check(warning.includes('2027 年的法定节假日和调休安排尚未录入'), 'no warning that 2027 is missing: ' + warning);
    check(await phone.locator('#calendar-year table.cal-month').count() === 12, 'the year view has not 12 months');
    check(await phone.locator('#calendar-year table.cal-month').first().locator('thead th[scope=col]').count() === 7, 'a month has no weekday headers');
    const off = await phone.textContent('#calendar-year td.holiday[title="国庆节"]');
    check(off.includes('休'), 'a holiday is told by colour alone: ' + off);
    // The calendar's own sections fit the phone (the staff header is the layout's business).
    const wide = await phone.evaluate(() => [...document.querySelectorAll('main section.card, main section.card *')]
      .filter((el) => !el.closest('.sr') && (el.getBoundingClientRect().right > 391 || el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'auto'))
      .slice(0, 5).map((el) => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right)).join(', '));
    check(wide === '', 'calendar parts wider than 390 px: ' + wide);
    await shot(phone, 'admin-calendar-phone');
    await phone.click('#calendar-missing a');
    await phone.fill('#calendar-import input[name=year]', '2027');
    await phone.fill('#calendar-import textarea[name=table]', '日期\t类型\t名称\n2027-01-01\t放假\t元旦\n2027-02-06\t休\t春节\n');
    await Promise.all([phone.waitForNavigation(), phone.click('#calendar-import button[type=submit]')]);
    check((await phone.textContent('#calendar-preview')).includes('新增 2 天'), 'no preview of the two new days');
    await shot(phone, 'admin-calendar-preview');
    await Promise.all([phone.waitForNavigation(), phone.click('#calendar-preview button[type=submit]')]);
    check(phone.url().includes('year=2027&saved=1'), 'saving did not return to 2027: ' + phone.url());
    check(await phone.locator('#calendar-missing').count() === 0, 'the warning stays once 2027 is entered');
    check(await phone.locator('#calendar-year td.holiday[title="元旦"]').count() === 1, 'the year view lacks 2027-01-01');

    console.log('NUMBER ' + number);
  } finally {
    await browser.close();
  }
})().catch((err) => {
  console.error(err && err.stack || String(err));
  process.exit(1);
});
