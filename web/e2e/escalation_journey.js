// The extension journey in a real browser at 1366×768: the supervisor has the board open; the
// department's handler asks for an extension (申请延期) from the workbench; the supervisor's
// bell counts it live, without a reload, from the notification stream; the supervisor approves
// it from the board's queue; the handler's bell counts the decision, and the ticket page shows
// the new resolution deadline with its history. Then the loop closes on a resolved ticket: the
// supervisor records its return visit from the 回访 queue with the keyboard — not solved,
// 不满意 — which sends it back (重办) and opens a rectification (差评整改); the department's
// satisfaction figure in the scorecard API changes, and the public /stats shows the month.
// Screenshots go to the directory given second.
// Usage: node escalation_journey.js <base URL> <screenshot dir> <ticket number> <resolved ticket> <month>
'use strict';
const { chromium } = require('playwright-core');
const a11y = require('./axe');
const path = require('path');
const fs = require('fs');

const [base, shots, number, resolved, month] = process.argv.slice(2);
if (!base || !shots || !number || !resolved || !month) {
  console.error('usage: node escalation_journey.js <base URL> <screenshot dir> <ticket number> <resolved ticket> <month>');
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

// bellCount waits until the page's bell shows n unread.
async function bellCount(page, n, what) {
  try {
    await page.waitForFunction((want) => {
      const c = document.querySelector('#bell #bell-count');
      return want === 0 ? !c && document.querySelector('#bell .sr') : c && c.textContent.trim() === String(want);
    }, n, { timeout: 10000 });
  } catch (err) {
    throw new Error(what + ': the bell does not show ' + n + ' (' + (await page.textContent('#bell')) + ')');
  }
}

(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  a11y.watch(browser);
  try {
    // The supervisor has the board open, nothing unread.
    const sup = await login(browser, 'supervisor', 'demo-supervisor');
    check(sup.url().endsWith('/board'), 'supervisor did not land on the board');
    await bellCount(sup, 0, 'supervisor before');

    // The handler asks from the workbench.
    const handler = await login(browser, 'handler-hrss', 'demo-handler');
    check(handler.url().endsWith('/workbench'), 'handler did not land on the workbench');
    await bellCount(handler, 0, 'handler before');
    const row = handler.locator(`tr[data-number="${number}"]`);
    await row.locator('summary', { hasText: '申请延期' }).click();
    await row.locator('input[name=new_due]').fill('2026-12-04');
    await row.locator('textarea[name=reason]').fill('需等待劳动仲裁结果，预计下周出裁决书');
    await shot(handler, 'workbench-extension');
    await Promise.all([handler.waitForNavigation(), row.locator('button', { hasText: '提交延期申请' }).click()]);
    check((await handler.textContent('main')).includes('已提交延期申请'), 'no confirmation on the workbench');
    const pending = await handler.textContent(`tr[data-number="${number}"] .ext-pending`);
    check(pending.includes('2026-12-04 17:00'), 'the pending request is not shown: ' + pending);

    // The supervisor's bell counts it live, on the page opened before.
    await bellCount(sup, 1, 'supervisor after the request');
    await sup.hover('#bell');
    await shot(sup, 'bell');
    await sup.reload();
    const item = sup.locator(`#extension-queue article[data-ticket="${number}"]`);
    check((await item.textContent()).includes('需等待劳动仲裁结果'), 'the request is not in the queue');
    await sup.locator('#extension-queue').scrollIntoViewIfNeeded();
    await shot(sup, 'board-extensions');
    await item.locator('form.approve input[name=text]').fill('同意延期');
    await Promise.all([sup.waitForNavigation(), item.locator('form.approve button').click()]);
    check((await sup.textContent('#escalation')).includes('已批准延期'), 'no confirmation on the board');
    check(await sup.locator(`#extension-queue article[data-ticket="${number}"]`).count() === 0, 'the request is still in the queue');

    // The handler's bell counts the decision live; the ticket page has the new deadline.
    await bellCount(handler, 1, 'handler after the decision');
    await handler.goto(base + '/tickets/' + number);
    const deadlines = await handler.textContent('#deadline-history');
    check(deadlines.includes('2026-12-02 17:00 → 2026-12-04 17:00') && deadlines.includes('延期（已批准）'), 'deadline history: ' + deadlines);
    check((await handler.textContent('#extensions')).includes('已批准'), 'the request is not shown approved');
    await handler.locator('#escalation').scrollIntoViewIfNeeded();
    await shot(handler, 'ticket-extension');

    // The handler reads the notification and marks it read.
    await Promise.all([handler.waitForNavigation(), handler.click('#bell')]);
    check(handler.url().endsWith('/notifications'), 'the bell does not lead to the notifications');
    check((await handler.textContent('#notifications li.unread')).includes('延期已批准'), 'the decision is not listed');
    await shot(handler, 'notifications');
    await Promise.all([handler.waitForNavigation(), handler.click('#notifications li.unread button')]);
    check(await handler.locator('#notifications li.unread').count() === 0, 'still unread after marking it read');
    await bellCount(handler, 0, 'handler after reading');

    // The return visit of a resolved ticket, from the queue, by keyboard.
    const satisfaction = async () => {
      const r = await sup.request.get(base + '/api/v1/scorecards/' + month);
      check(r.ok(), 'scorecard API: ' + r.status());
      const d = (await r.json()).departments.find((x) => x.department === 'hrss');
      return d ? d.indicators.satisfaction_rate : undefined;
    };
    const before = await satisfaction();
    await sup.goto(base + '/visits');
    const visit = sup.locator(`tr[data-number="${resolved}"]`);
    check(await visit.count() === 1, 'the resolved ticket is not in the 回访 queue');
    await visit.locator('select[name=outcome]').selectOption('reached');
    await visit.locator('input[name=contacted][value=yes]').check();
    await visit.locator('input[name=solved][value=unsolved]').check();
    await visit.locator('input[name=satisfaction][value=dissatisfied]').check();
    await visit.locator('input[name=comment]').fill('工资仍未到账');
    await shot(sup, 'visit-queue');
    await Promise.all([sup.waitForNavigation(), sup.keyboard.press('Control+Enter')]);
    check((await sup.textContent('main')).includes(resolved), 'no confirmation of the visit');
    check(await sup.locator(`tr[data-number="${resolved}"]`).count() === 0, 'the visited ticket is still in the queue');
    await sup.goto(base + '/tickets/' + resolved);
    check((await sup.textContent('main')).includes('已派单'), 'the dissatisfied visit did not send the ticket back');
    await sup.goto(base + '/rectifications');
    const rect = sup.locator('#rectifications tbody tr', { hasText: resolved });
    check(await rect.count() === 1 && (await rect.textContent()).includes('待整改'), 'no open rectification for the bad rating');
    await shot(sup, 'rectifications');
    const after = await satisfaction();
    check(after !== before, `the satisfaction rate did not change: ${before} → ${after}`);

    // The public figures of the month, no login.
    const citizen = await (await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' })).newPage();
    await citizen.goto(base + '/stats?month=' + month);
    check(await citizen.locator('#ranking tr[data-department="hrss"]').count() === 1, 'the month on /stats has no hrss row');
    check((await citizen.textContent('#unrated-rule')).includes('未作答'), 'the unrated rule is not stated on /stats');
    await shot(citizen, 'stats');

    await a11y.assertClean();
    console.log('SATISFACTION ' + before + ' ' + after);
    console.log('DONE ' + number);
  } finally {
    await browser.close();
  }
})().catch((err) => {
  console.error(err && err.stack || String(err));
  process.exit(1);
});
