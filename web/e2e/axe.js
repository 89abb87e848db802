// Accessibility checks for the browser journeys: axe-core runs on every page a journey loads,
// without the journey asking for it, and the journey fails at the end listing every violation.
//
//   const a11y = require('./axe');
//   a11y.watch(browser);      // right after chromium.launch: every context and page is watched
//   ...
//   await a11y.assertClean(); // at the end: throws with every violation found
//
// axe is evaluated through the driver, which the pages' strict Content-Security-Policy does not
// stop, so the journeys run under the real policy: anything the policy blocks on a page (an
// inline script or style, eval) is reported at the end like a violation.
// Each page is checked when its document has loaded; the page's navigation methods (goto,
// reload, waitForNavigation, waitForURL, …) wait for that check, so a journey step added later
// is checked as long as it waits for its navigation, which every journey does anyway. A page
// left before its check finished is opened again at the end; assertClean also checks again
// every page still open, so what htmx added after the load is checked too.
'use strict';
const axeSource = require('fs').readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// The rules: WCAG 2.0 and 2.1, levels A and AA, and axe's best practices.
const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

const violations = new Map(); // key: page, rule and target → the violation
const checked = new Set(); // the pages checked, by path
const missed = []; // pages left before their check finished: { url, context }
const pages = new Set(); // pages still open
const blocked = []; // what the Content-Security-Policy refused, with the page

// A context with JavaScript disabled cannot run axe; its pages are checked as they are, DOM
// and all, in a page of this JavaScript-enabled context that fetches the page's styles and
// images from the server as the original did.
let checker = null;

// watch hooks every context and page the browser makes from now on.
function watch(browser) {
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options = {}) => {
    const context = await newContext(options);
    context.__noJS = options.javaScriptEnabled === false;
    if (context.__noJS && !checker) checker = newContext({ locale: options.locale });
    context.on('page', hook);
    return context;
  };
}

// checkWithoutJS checks the document a no-JavaScript page shows now, served again at its own
// address to a page that can run axe.
async function checkWithoutJS(page, url) {
  const html = await page.content();
  const twin = await (await checker).newPage();
  try {
    await twin.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    await twin.goto(url);
    await check(twin, url);
  } finally {
    await twin.close();
  }
}

const navigations = ['goto', 'reload', 'goBack', 'goForward', 'waitForNavigation', 'waitForURL', 'waitForLoadState'];

// hook checks page after each load of its main document, and makes its navigation methods wait
// for that check.
function hook(page) {
  if (page.__axe) return;
  page.__axe = { running: Promise.resolve() };
  pages.add(page);
  page.on('close', () => pages.delete(page));
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) blocked.push(`${page.url()}: ${msg.text()}`);
  });
  page.on('load', () => {
    const url = page.url();
    if (!url.startsWith('http')) return;
    const previous = page.__axe.running;
    page.__axe.running = previous.then(() => check(page, url)).catch((err) => {
      missed.push({ url, context: page.context(), err });
    });
  });
  for (const name of navigations) {
    const original = page[name].bind(page);
    page[name] = async (...args) => {
      const result = await original(...args);
      // The load event is delivered with the navigation's end; let its listener run first.
      await new Promise((resolve) => setImmediate(resolve));
      await page.__axe.running;
      return result;
    };
  }
}

// check runs axe on the document page shows now, which should be url, and records what it finds.
async function check(page, url) {
  if (page.context().__noJS) return checkWithoutJS(page, url);
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    // Evaluated through the driver, which the pages' Content-Security-Policy does not stop,
    // so the journeys run under the real policy and break where a page would.
    await page.evaluate(axeSource);
  }
  const found = await page.evaluate(async (values) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values }, resultTypes: ['violations'] });
    return { url: location.href, violations: r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    })) };
  }, tags);
  if (found.url !== url) throw new Error('the page moved on to ' + found.url);
  const where = new URL(url);
  const at = where.pathname + where.search;
  checked.add(where.pathname);
  for (const v of found.violations) {
    for (const target of v.targets) {
      const key = at + ' ' + v.id + ' ' + target;
      if (!violations.has(key)) violations.set(key, { url: at, id: v.id, impact: v.impact, help: v.help, target });
    }
  }
}

// assertClean checks again every page still open, then the pages left too early, and throws an
// error listing every violation found since watch, if any.
async function assertClean() {
  for (const page of [...pages]) {
    await page.__axe.running;
    if (!page.isClosed() && page.url().startsWith('http')) await check(page, page.url());
  }
  const unchecked = [];
  for (const { url, context, err } of missed.splice(0)) {
    let again;
    try {
      again = await context.newPage();
      await again.goto(url);
    } catch (e) {
      unchecked.push(`${url}: ${err.message.split('\n')[0]}; again: ${e.message.split('\n')[0]}`);
    } finally {
      if (again) await again.close();
    }
  }
  for (const { url, err } of missed.splice(0)) unchecked.push(`${url}: ${err.message.split('\n')[0]}`);
  for (const b of blocked) unchecked.push('refused by the Content-Security-Policy: ' + b);
  if (violations.size === 0 && unchecked.length === 0) {
    console.error(`axe: no violations on ${checked.size} pages: ${[...checked].sort().join(' ')}`);
    return;
  }
  // One line per rule and element, with the pages it was found on.
  const byElement = new Map();
  for (const v of violations.values()) {
    const key = `${v.id} (${v.impact}): ${v.target} — ${v.help}`;
    if (!byElement.has(key)) byElement.set(key, []);
    byElement.get(key).push(v.url);
  }
  const lines = [...byElement].map(([what, urls]) => `${what}\n    on ${urls.join(' ')}`);
  for (const u of unchecked) lines.push('not checked: ' + u);
  throw new Error(`axe found ${violations.size} violations:\n` + lines.join('\n'));
}

module.exports = { watch, assertClean, checked };
