// The staff journey in a real browser at 1366×768: an agent registers a complaint from the
// console and dispatches it by hand → the department's handler accepts it (签收), gives
// feedback (反馈) and resolves it (办结) → the supervisor sees it in the board's figures.
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

async function login(browser, username, password) {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
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
    // In English the ticket page has no Chinese left but names and citizens' text (marked).
    await Promise.all([sup.waitForNavigation(), sup.click('header a.lang')]);
    const chinese = await sup.evaluate(() => {
      const found = [];
      const walk = (n) => {
        if (n.nodeType === 1 && (n.matches('script, style, code, [translate=no], [lang^=zh]:not(html)'))) return;
        if (n.nodeType === 3 && /[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]/.test(n.data)) found.push(n.data.trim());
        n.childNodes.forEach(walk);
      };
      walk(document.body);
      return found;
    });
    check(chinese.length === 0, 'Chinese on the English ticket page: ' + chinese.join(' | '));
    check((await sup.textContent('.status')).includes('Resolved'), 'status not in English');
    await shot(sup, 'ticket-english');

    const admin = await login(browser, 'admin', 'demo-admin');
    await admin.goto(base + '/admin/staff');
    await shot(admin, 'admin-staff');

    console.log('NUMBER ' + number);
  } finally {
    await browser.close();
  }
})().catch((err) => {
  console.error(err && err.stack || String(err));
  process.exit(1);
});
