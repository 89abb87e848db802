// The staff journey in a real browser at 1366×768: an agent registers a complaint from the
// console and dispatches it by hand, then a second citizen's complaint about the same matter,
// merged into it (并单) → the department's handler finds only the first in the workbench,
// accepts it (签收), gives feedback (反馈) and resolves it (办结) → the supervisor sees it
// counted once in the board's figures → on /track the second citizen reads that their matter
// was handled, without the first citizen's name, number or result, and the first citizen rates
// theirs (the return visit) → the supervisor undoes the merge, both timelines showing it → the
// supervisor reads the month's evaluation (考评), its trend chart, and a figure's drill-down.
// → on a phone (390 px) the administrator, warned that next year's holidays are missing, reads
// the year view and enters next year's notice through its preview.
// Then every other staff page is visited once, and a handler works a second ticket (the third
// argument, dispatched to market) on a 390 px phone, and proposes a knowledge article there,
// which the supervisor approves. axe checks every page the journey visits.
// Screenshots of the main pages go to the directory given second.
// Usage: node staff_journey.js <base URL> <screenshot dir> <ticket number for the phone>
'use strict';
const { chromium } = require('playwright-core');
const a11y = require('./axe');
const path = require('path');
const fs = require('fs');

const [base, shots, phoneNumber] = process.argv.slice(2);
if (!base || !shots || !phoneNumber) {
  console.error('usage: node staff_journey.js <base URL> <screenshot dir> <ticket number for the phone>');
  process.exit(2);
}
fs.mkdirSync(shots, { recursive: true });

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function login(browser, username, password, device = { viewport: { width: 1366, height: 768 } }) {
  const ctx = await browser.newContext({ ...device, locale: 'zh-CN' });
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

// fitsPhone checks that page is no wider than the phone, that no label of the header breaks
// over lines, and that every button of the page's forms is within reach.
async function fitsPhone(page, what) {
  const got = await page.evaluate(() => {
    // lines counts the lines el's visible text takes (text for screen readers only aside).
    const lines = (el) => {
      const tops = new Set();
      const texts = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let n = texts.nextNode(); n; n = texts.nextNode()) {
        if (n.parentElement.closest('.sr')) continue;
        const r = document.createRange();
        r.selectNodeContents(n);
        for (const b of r.getClientRects()) if (b.width > 0) tops.add(Math.round(b.top));
      }
      return tops.size;
    };
    return {
      width: document.documentElement.scrollWidth,
      broken: [...document.querySelectorAll('header.top a, header.top button, header.top .user')]
        .filter((el) => lines(el) > 1).map((el) => el.textContent.trim()),
      unreachable: [...document.querySelectorAll('main form button')]
        .filter((b) => b.offsetParent && (b.getBoundingClientRect().left < 0 || b.getBoundingClientRect().right > 390))
        .map((b) => b.textContent.trim()),
    };
  });
  check(got.width <= 390, `${what}: the page is ${got.width}px wide on a 390px phone`);
  check(got.broken.length === 0, `${what}: the header breaks ${JSON.stringify(got.broken)} over lines`);
  check(got.unreachable.length === 0, `${what}: buttons out of reach: ${JSON.stringify(got.unreachable)}`);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  a11y.watch(browser);
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
    // The category by its pinyin initials: 拖欠工资 is tqgz.
    await agent.keyboard.press('Alt+C');
    await agent.keyboard.type('tqgz');
    check(await agent.inputValue('select[name=category]') === 'wage-arrears', 'pinyin initials did not find the category');
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
    check((await agent.textContent('#place-found')).includes('西城区'), 'the gazetteer does not place the address');
    await Promise.all([agent.waitForNavigation(), agent.keyboard.press('Control+Enter')]);
    // Back to a blank form for the next caller, the focus in its first field.
    const m = agent.url().match(/\/console\?registered=(\d{8}-\d{6})/);
    check(m, 'not back on the console after registering: ' + agent.url());
    const number = m[1];
    check((await agent.textContent('#registered')).includes(number), 'the console does not name the ticket registered');
    check(await agent.evaluate(() => document.activeElement && document.activeElement.name) === 'caller_name', 'the focus is not in the first field');
    check(await agent.inputValue('input[name=caller_phone]') === '', 'the form is not blank');
    await Promise.all([agent.waitForNavigation(), agent.click('#registered a')]);
    check((await agent.textContent('.status')).includes('已派单'), 'ticket not dispatched');
    check((await agent.textContent('#place')).includes('西城区'), 'the ticket is not placed in its district');
    await shot(agent, 'ticket-registered');

    // A second citizen calls about the same matter: the console offers the first ticket as a
    // duplicate, and the agent merges the new one into it.
    await agent.goto(base + '/console');
    await agent.fill('input[name=caller_name]', '李先生');
    await agent.fill('input[name=caller_phone]', '13700001234');
    await agent.selectOption('select[name=category]', 'wage-arrears');
    await agent.fill('textarea[name=description]', '某公司拖欠工人工资三个月');
    await agent.fill('input[name=address]', '西城区新街口外大街8号');
    await agent.check('input[name=mode][value=dispatch]');
    await agent.selectOption('select[name=department]', 'hrss');
    await agent.locator('input[name=address]').press('End');
    await agent.keyboard.type(' ');
    const cand = agent.locator(`#duplicates li[data-number="${number}"] input[name=merge_into]`);
    await cand.waitFor();
    await cand.check();
    await Promise.all([agent.waitForNavigation(), agent.click('#register-submit')]);
    const m2 = agent.url().match(/\/console\?registered=(\d{8}-\d{6})/);
    check(m2 && m2[1] !== number, 'the second ticket is not named: ' + agent.url());
    const merged = m2[1];
    await agent.goto(base + '/tickets/' + merged);
    check((await agent.textContent('#master')).includes(number), 'the second ticket does not show it is merged');

    // The handler works the ticket from the workbench.
    const handler = await login(browser, 'handler-hrss', 'demo-handler');
    check(handler.url().endsWith('/workbench'), 'handler did not land on the workbench');
    const row = handler.locator(`tr[data-number="${number}"]`);
    await row.waitFor();
    check(await handler.locator(`tr[data-number="${merged}"]`).count() === 0, 'the merged ticket is still in the workbench');
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
    // Its result sheet (办结单) prints without the navigation or the print button.
    await handler.goto(base + '/tickets/' + number + '/result-sheet');
    check((await handler.textContent('#sheet-resolution')).includes('企业已补发全部工资'), 'the result sheet lacks the result');
    await handler.emulateMedia({ media: 'print' });
    check(!(await handler.isVisible('header.top')) && !(await handler.isVisible('#print')), 'the navigation or the print button would be printed');
    await shot(handler, 'result-sheet-print');
    await handler.emulateMedia({ media: 'screen' });

    // The supervisor sees it in the figures.
    const sup = await login(browser, 'supervisor', 'demo-supervisor');
    check(sup.url().endsWith('/board'), 'supervisor did not land on the board');
    const resolved = await sup.textContent('tr[data-dept=hrss] td.resolved-today');
    check(resolved.trim() === '1', 'board shows ' + resolved + ' resolved today for hrss');
    await sup.waitForSelector('#chart canvas');
    // A new ticket for hrss reaches the open board by itself: the counts are pushed over the
    // live stream, not asked for.
    const openCell = 'tr[data-dept=hrss] td:nth-child(2)';
    const openBefore = Number((await sup.textContent(openCell)).trim());
    const made = await agent.evaluate(async () => {
      const body = new URLSearchParams({ type: 'complaint', category: 'wage-arrears', department: 'hrss',
        description: '装修公司拖欠工人工资两个月', address: '东城区和平里东街1号', caller_name: '赵先生', caller_phone: '13600001111' });
      const res = await fetch('/api/v1/tickets', { method: 'POST', body });
      return res.status;
    });
    check(made === 201 || made === 200, 'registering a ticket through the API answered ' + made);
    await sup.waitForFunction(([sel, n]) => Number(document.querySelector(sel).textContent.trim()) === n,
      [openCell, openBefore + 1], { timeout: 15000 });
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
    await Promise.all([sup.waitForNavigation(), sup.click('header a.lang')]); // back to Chinese
    // The phone ticket's call was recorded (全程录音): the supervisor plays it on the ticket page.
    await sup.goto(base + '/tickets/' + phoneNumber);
    const player = sup.locator('#recordings audio');
    check(await player.count() === 1, 'no recording player on the ticket page');
    const played = await player.evaluate((a) => new Promise((resolve, reject) => {
      a.addEventListener('error', () => reject(new Error('audio error ' + (a.error && a.error.code))));
      a.addEventListener('timeupdate', () => { if (a.currentTime > 0.3) resolve(a.duration); });
      a.muted = true; // a muted player may start without a gesture
      a.play().catch(reject);
    }));
    check(played > 1.9 && played < 2.1, 'recording plays for ' + played + ' s, want 2');
    await shot(sup, 'ticket-recording');

    // The second citizen looks their ticket up: handled, in their own terms.
    const pub = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    const citizen = await pub.newPage();
    citizen.setDefaultTimeout(15000);
    async function track(no, phone) {
      await citizen.goto(base + '/track');
      await citizen.fill('#number', no);
      await citizen.fill('#phone', phone);
      await Promise.all([citizen.waitForNavigation(), citizen.click('#track-submit')]);
    }
    await track(merged, '13700001234');
    check(await citizen.getAttribute('#ticket-status', 'data-status') === 'resolved', 'the merged ticket is not resolved');
    const seen = await citizen.textContent('main');
    check(seen.includes('合并办理'), 'the merged ticket does not say it was handled with the same matter');
    for (const other of [number, '王女士', '企业已补发全部工资', '企业承诺']) {
      check(!seen.includes(other), 'the second citizen reads ' + other);
    }
    check(await citizen.locator('#rate-form').count() === 0, 'the merged ticket is offered for rating on its own');
    await shot(citizen, 'track-merged');
    // The first citizen rates theirs: the return visit is done.
    await track(number, '13912345678');
    check((await citizen.textContent('#resolution')).includes('企业已补发全部工资'), 'the first citizen does not read the result');
    await citizen.check('#contacted-yes');
    await citizen.check('#solved-solved');
    await citizen.check('#rating-satisfied');
    await Promise.all([citizen.waitForNavigation(), citizen.click('#rate-submit')]);
    check(await citizen.locator('#ratings li').count() === 1, 'the rating is not listed');
    await pub.close();

    // It was not the same matter after all: the supervisor undoes the merge.
    await sup.goto(base + '/tickets/' + merged);
    await sup.fill('#form-unmerge input[name=note]', '核实为另一家公司');
    await Promise.all([sup.waitForNavigation(), sup.click('#do-unmerge')]);
    check(await sup.locator('#timeline li[data-kind=unmerge]').count() === 1, 'the unmerge is not on the timeline');
    check(await sup.locator('#master').count() === 0, 'the ticket still shows a master');
    check((await sup.textContent('.status')).includes('已派单'), 'the unmerged ticket is not back where it stood');
    await shot(sup, 'ticket-unmerged');
    await sup.goto(base + '/tickets/' + number);
    check(await sup.locator('#timeline li[data-kind=unmerge]').count() === 1, 'the unmerge is not on the master\'s timeline');

    // The supervisor reads the month's evaluation (考评): hrss ranked with its score, the trend
    // drawn, and a figure explained down to its formula.
    await sup.goto(base + '/evaluation?period=2026-11');
    check(await sup.locator('table.eval-ranking tr[data-department=hrss]').count() === 1, 'hrss is not ranked in the evaluation');
    await sup.waitForSelector('#eval-chart canvas');
    await shot(sup, 'evaluation');
    await Promise.all([sup.waitForNavigation(), sup.click('table.eval-ranking tr[data-department=hrss] a[href*="indicator=satisfaction_rate"]')]);
    check((await sup.textContent('.formula')).includes('基本满意'), 'the drill-down shows no formula');
    await shot(sup, 'evaluation-explain');
    await sup.goto(base + '/evaluation/appeals');

    const admin = await login(browser, 'admin', 'demo-admin');
    await admin.goto(base + '/admin/staff');
    await shot(admin, 'admin-staff');

    // The calendar on a phone: the warning, a year view that fits, and next year entered.
    const phoneAdmin = await login(browser, 'admin', 'demo-admin', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await phoneAdmin.goto(base + '/admin/calendar?year=2026');
    const warning = await phoneAdmin.textContent('#calendar-missing');
    check(warning.includes('2027 年的法定节假日和调休安排尚未录入'), 'no warning that 2027 is missing: ' + warning);
    check(await phoneAdmin.locator('#calendar-year table.cal-month').count() === 12, 'the year view has not 12 months');
    check(await phoneAdmin.locator('#calendar-year table.cal-month').first().locator('thead th[scope=col]').count() === 7, 'a month has no weekday headers');
    const off = await phoneAdmin.textContent('#calendar-year td.holiday[title="国庆节"]');
    check(off.includes('休'), 'a holiday is told by colour alone: ' + off);
    // The calendar's own sections fit the phone (the staff header is the layout's business).
    const wide = await phoneAdmin.evaluate(() => [...document.querySelectorAll('main section.card, main section.card *')]
      .filter((el) => !el.closest('.sr') && (el.getBoundingClientRect().right > 391 || el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'auto'))
      .slice(0, 5).map((el) => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right)).join(', '));
    check(wide === '', 'calendar parts wider than 390 px: ' + wide);
    await shot(phoneAdmin, 'admin-calendar-phone');
    await phoneAdmin.click('#calendar-missing a');
    await phoneAdmin.fill('#calendar-import input[name=year]', '2027');
    await phoneAdmin.fill('#calendar-import textarea[name=table]', '日期\t类型\t名称\n2027-01-01\t放假\t元旦\n2027-02-06\t休\t春节\n');
    await Promise.all([phoneAdmin.waitForNavigation(), phoneAdmin.click('#calendar-import button[type=submit]')]);
    check((await phoneAdmin.textContent('#calendar-preview')).includes('新增 2 天'), 'no preview of the two new days');
    await shot(phoneAdmin, 'admin-calendar-preview');
    await Promise.all([phoneAdmin.waitForNavigation(), phoneAdmin.click('#calendar-preview button[type=submit]')]);
    check(phoneAdmin.url().includes('year=2027&saved=1'), 'saving did not return to 2027: ' + phoneAdmin.url());
    check(await phoneAdmin.locator('#calendar-missing').count() === 0, 'the warning stays once 2027 is entered');
    check(await phoneAdmin.locator('#calendar-year td.holiday[title="元旦"]').count() === 1, 'the year view lacks 2027-01-01');
    // The pages this round added for the centre, on the phone: the prompts callers hear, the
    // agents' post-call ratings and the wallboard with its live calls.
    for (const p of ['/admin/prompts', '/calls/ratings', '/wallboard']) {
      await phoneAdmin.goto(base + p);
      await fitsPhone(phoneAdmin, p);
    }

    // Every staff page not visited above, once, for axe.
    await admin.goto(base + '/admin/routing');
    const rule = await admin.getAttribute('#routing-rules tbody a', 'href');
    for (const p of ['/admin', '/admin/catalogue', '/admin/calendar', '/admin/tokens', '/admin/kb', '/admin/audit',
      '/admin/open311-keys', rule, '/admin/routing?dry=1&text=' + encodeURIComponent('公司拖欠工资') + '&category=wage-arrears#dry-run',
      '/tickets', '/tickets/' + number, '/tickets/' + number + '/sheet', '/notifications', '/visits', '/calls', '/calls/ratings', '/callbacks', '/wallboard']) {
      await admin.goto(base + p);
    }
    await sup.goto(base + '/routing/returns');
    check(await sup.locator('#returns tbody select').count() > 0, 'no returned ticket to review');
    await sup.goto(base + '/tickets?status=resolved');
    // Ticket search: a two-character word finds the agent's ticket, the search stays in the
    // URL, and the supervisor saves it by name.
    await sup.goto(base + '/tickets');
    await sup.fill('#ticket-search input[name=q]', '讨要');
    await Promise.all([sup.waitForNavigation(), sup.click('#ticket-search button[type=submit]')]);
    check(sup.url().includes('q=' + encodeURIComponent('讨要')), 'the search is not in the URL: ' + sup.url());
    check(await sup.locator(`#ticket-list a[href="/tickets/${number}"]`).count() === 1, 'the search does not find the ticket');
    await sup.fill('#save-search input[name=name]', '讨薪');
    await Promise.all([sup.waitForNavigation(), sup.click('#save-search button[type=submit]')]);
    check(await sup.locator('#saved-searches a', { hasText: '讨薪' }).count() === 1, 'the saved search is not listed');
    check(await sup.locator(`#ticket-list a[href="/tickets/${number}"]`).count() === 1, 'the saved search does not show the ticket');
    await handler.goto(base + '/tickets');
    await agent.goto(base + '/console');
    await agent.fill('#kb-q', '欠薪');
    await agent.waitForSelector('#kb-results article.kb');
    // The knowledge base's search marks the words it found.
    await agent.goto(base + '/kb?q=' + encodeURIComponent('社保'));
    check(await agent.locator('#kb-hits mark').count() > 0, 'the knowledge search marks no word');
    // The knowledge base's search marks the words it found.
    await agent.goto(base + '/kb?q=' + encodeURIComponent('社保'));
    check(await agent.locator('#kb-hits mark').count() > 0, 'the knowledge search marks no word');

    // A handler on a 390 px phone: the header, the workbench's queue and the ticket's actions fit.
    const phone = await login(browser, 'handler-market', 'demo-handler',
      { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    check(phone.url().endsWith('/workbench'), 'the phone did not land on the workbench');
    await phone.locator(`[data-number="${phoneNumber}"]`).waitFor();
    await fitsPhone(phone, 'workbench');
    await shot(phone, 'phone-workbench');
    await Promise.all([phone.waitForNavigation(), phone.locator(`[data-number="${phoneNumber}"] button`, { hasText: '签收' }).tap()]);
    check(phone.url().includes('/tickets/' + phoneNumber), 'accepting did not open the ticket: ' + phone.url());
    check((await phone.textContent('.status')).includes('已签收'), 'the ticket was not accepted on the phone');
    await fitsPhone(phone, 'ticket');
    await phone.fill('#form-feedback textarea[name=text]', '已到现场查看，正在联系摊主');
    await phone.locator('#form-feedback button').scrollIntoViewIfNeeded();
    await shot(phone, 'phone-ticket');
    await Promise.all([phone.waitForNavigation(), phone.locator('#form-feedback button').tap()]);
    check((await phone.textContent('#timeline')).includes('已到现场查看'), 'the feedback given on the phone is not on the timeline');
    await fitsPhone(phone, 'ticket after feedback');
    // The pages this round added, on the phone: the ticket list with its search and batch bar,
    // the printed sheet, the rectifications.
    for (const p of ['/tickets', '/tickets/' + phoneNumber + '/sheet', '/rectifications']) {
      await phone.goto(base + p);
      await fitsPhone(phone, p);
    }

    // The department proposes a knowledge article from the phone; the supervisor approves it.
    await phone.goto(base + '/kb?q=' + encodeURIComponent('退货'));
    await fitsPhone(phone, 'knowledge search');
    await phone.goto(base + '/kb/propose');
    await fitsPhone(phone, 'knowledge proposal');
    await phone.fill('input[name=code]', 'market-lost-receipt');
    await phone.fill('input[name=title]', '购物小票丢失如何维权');
    await phone.fill('textarea[name=body]', '可凭支付记录、聊天记录等证明消费事实，向12315投诉。');
    await phone.fill('input[name=source]', '市市场监管局 政策问答');
    await phone.fill('input[name=valid_from]', '2026-01-01');
    await Promise.all([phone.waitForNavigation(), phone.locator('button[name=submit][value="1"]').tap()]);
    check((await phone.textContent('main')).includes('已提交热线中心审核'), 'the proposal was not sent for review');
    await shot(phone, 'phone-kb-propose');
    await sup.goto(base + '/kb/review');
    await Promise.all([sup.waitForNavigation(), sup.locator('#kb-queue form[action$="/approve"] button').first().click()]);
    await sup.goto(base + '/kb/market-lost-receipt');
    check(await sup.locator('.badge.kb-valid').count() === 1, 'the approved article is not valid');

    await a11y.assertClean();
    console.log('NUMBER ' + number);
    console.log('MERGED ' + merged);
  } finally {
    await browser.close();
  }
})().catch((err) => {
  console.error(err && err.stack || String(err));
  process.exit(1);
});
