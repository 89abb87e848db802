// The phone desk in a real browser: the supervisor opens the floor's wallboard, which shows a
// missed call owed a callback → the agent, at the console, takes a break (小休, with a reason)
// and is ready again, the queue following each change → the agent calls the missed citizen back
// from the missed-call list (漏接回拨) with one click; the agent's phone and then the citizen's
// are SIPp phones that answer → the list shows the callback done, and the supervisor's
// wallboard, never reloaded, counts no callback owed any more → a department's handler finds
// two tickets by a Chinese word, signs for both at once (批量签收) and exports them to Excel,
// saved where the second argument says for the test to open → the administrator opens the
// prompts' page from the navigation, is told why a file that is no audio was refused, uploads
// a WAV for the callback offer and sees it listed as uploaded, with a player. axe checks every
// page.
// Usage: node desk_journey.js <base URL> <export file> <prompt WAV> <file that is no audio>
'use strict';
const { chromium } = require('playwright-core');
const a11y = require('./axe');

const [base, exportFile, promptFile, notAudioFile] = process.argv.slice(2);
if (!base || !exportFile || !promptFile || !notAudioFile) {
  console.error('usage: node desk_journey.js <base URL> <export file> <prompt WAV> <file that is no audio>');
  process.exit(2);
}

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function login(browser, username, password) {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(20000);
  await page.goto(base + '/login');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  return page;
}

(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  a11y.watch(browser);
  try {
    const sup = await login(browser, 'supervisor', 'demo-supervisor');
    await sup.goto(base + '/wallboard');
    check((await sup.textContent('#wb-callbacks dd')).trim() === '1', 'the wallboard does not count the callback owed');

    const agent = await login(browser, 'agent1', 'demo-agent');
    check(agent.url().endsWith('/console'), 'the agent did not land on the console');
    await agent.selectOption('#desk-reason', 'meal');
    await Promise.all([agent.waitForNavigation(), agent.click('#desk-break button')]);
    check((await agent.textContent('#desk-current')).includes('小休（用餐）'), 'the header does not show the break');
    const status = async () => agent.evaluate(async () => (await (await fetch('/api/v1/agent/status')).json()).status);
    check(await status() === 'break', 'the queue does not follow the break');
    await Promise.all([agent.waitForNavigation(), agent.click('#desk-ready button')]);
    check(await status() === 'available', 'the queue does not follow the agent being ready');

    await agent.goto(base + '/callbacks');
    const row = agent.locator('#callbacks-open tbody tr').first();
    check((await row.textContent()).includes('13700137000'), 'the missed call is not listed');
    await Promise.all([agent.waitForNavigation(), row.locator('button').click()]);
    check(await agent.locator('#callback-started').count() === 1, 'the callback did not start');
    for (let i = 0; i < 60 && await agent.locator('#callbacks-none').count() === 0; i++) {
      await agent.waitForTimeout(500);
      await agent.reload();
    }
    check(await agent.locator('#callbacks-none').count() === 1, 'the callback is still owed');
    check((await agent.textContent('#callbacks-recent')).includes('已回拨'), 'the callback is not shown done');

    // The wallboard, never reloaded, follows.
    await sup.waitForFunction(() => document.querySelector('#wb-callbacks dd').textContent.trim() === '0', null, { timeout: 20000 });

    // Search → batch sign → export.
    const handler = await login(browser, 'handler-hrss', 'demo-handler');
    await handler.goto(base + '/tickets');
    await handler.fill('#ticket-search input[name=q]', '欠薪');
    await Promise.all([handler.waitForNavigation(), handler.click('#ticket-search button[type=submit]')]);
    const hits = handler.locator('#ticket-list tbody tr[data-number]');
    check(await hits.count() === 2, 'the search did not find the two tickets: ' + await hits.count());
    for (const box of await handler.locator('#ticket-list input[name=numbers]').all()) await box.check();
    await Promise.all([handler.waitForNavigation(), handler.click('#batch-accept')]);
    check((await handler.textContent('#batch-result')).includes('已完成 2 张，未完成 0 张'), 'the batch did not sign for both');
    await Promise.all([handler.waitForNavigation(), handler.click('#batch-back')]);
    for (const box of await handler.locator('#ticket-list input[name=numbers]').all()) await box.check();
    const [download] = await Promise.all([handler.waitForEvent('download'), handler.click('#batch-export')]);
    await download.saveAs(exportFile);

    // A department calls the citizen through 12345 (联系市民) from the ticket page: the button is
    // there, the number masked; with no SIP phone on the account the refusal says so.
    const signed = await hits.first().getAttribute('data-number');
    await handler.goto(base + '/tickets/' + signed);
    check((await handler.textContent('#call-citizen')).includes('12345'), 'the ticket page does not offer to call the citizen');
    await Promise.all([handler.waitForNavigation(), handler.click('#do-call-citizen')]);
    check((await handler.textContent('main')).includes('您的账号没有分机号'), 'the refusal to call without a phone is not shown');
    // The prompts callers hear: a file that is no audio is refused, a WAV replaces the offer.
    const admin = await login(browser, 'admin', 'demo-admin');
    await Promise.all([admin.waitForNavigation(), admin.click('nav a[href="/admin/prompts"]')]);
    const offer = admin.locator('#prompt-callback-offer');
    check(await admin.locator('#prompts tbody tr').count() >= 10, 'the prompts are not all listed');
    await offer.locator('input[type=file]').setInputFiles(notAudioFile);
    await Promise.all([admin.waitForNavigation(), offer.locator('.prompt-upload button').click()]);
    check((await admin.textContent('#prompt-error')).includes('文件不是 WAV 音频'), 'the refusal does not say why');
    await offer.locator('input[type=file]').setInputFiles(promptFile);
    await Promise.all([admin.waitForNavigation(), offer.locator('.prompt-upload button').click()]);
    check(await admin.locator('#prompt-saved').count() === 1, 'the upload is not confirmed');
    check(await offer.getAttribute('data-custom') === 'true', 'the upload is not listed as uploaded');
    check((await offer.textContent()).includes('1.5 s'), 'the new prompt\'s length is not shown');
    check(await offer.locator('audio[src="/admin/prompts/callback-offer/audio"]').count() === 1, 'the new prompt has no player');
    check(await offer.locator('.prompt-revert').count() === 1, 'the default cannot be restored');

    await a11y.assertClean();
    console.log('DESK OK');
  } finally {
    await browser.close();
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
