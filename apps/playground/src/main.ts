// The shell: navigation, the backend picker and the hash router. One page is mounted at a time;
// switching page or backend disposes the page's model and mounts it afresh.
import './style.css';
import type { BackendName } from '@plasticity/core';
import { activeBackend, probeBackends, useBackend, type BackendStatus } from './backend.js';
import type { MountedPage, PageModule } from './page.js';
import { stdpWindowPage } from './pages/stdp-window.js';
import { songMillerAbbottPage } from './pages/song-miller-abbott.js';
import { sparseNetworkPage } from './pages/sparse-network.js';
import { customRulePage } from './pages/custom-rule.js';
import { saveLoadPage } from './pages/save-load.js';
import { el } from './ui.js';

const PAGES: readonly PageModule[] = [stdpWindowPage, songMillerAbbottPage, sparseNetworkPage, customRulePage, saveLoadPage];

/** Demos whose pages are not built yet: listed, honestly, with no page behind them. */
const COMING: readonly { title: string; pkg: string; note: string }[] = [
  { title: 'SPN forecasting', pkg: '@plasticity/spn', note: 'page not built yet (@plasticity/spn)' },
  { title: 'PDLF working memory & injury', pkg: '@plasticity/pdlf', note: 'page not built yet (@plasticity/pdlf)' },
  { title: 'Bio-transformations', pkg: '@plasticity/bio', note: 'page not built yet (@plasticity/bio)' },
];

const nav = document.getElementById('nav')!;
const pageRoot = document.getElementById('page')!;
const picker = document.getElementById('backend-picker')!;
let mounted: MountedPage | null = null;
let mounting: Promise<void> = Promise.resolve();

function renderNav(current: string): void {
  nav.replaceChildren(
    el('ul', {}, ...PAGES.map((p) => el('li', {}, el('a', { href: `#/${p.id}`, ...(p.id === current ? { 'aria-current': 'page' } : {}) }, p.title)))),
    el('h4', {}, 'Coming'),
    el('ul', { class: 'coming' }, ...COMING.map((c) => el('li', { title: `No playground page for ${c.pkg} yet.` }, c.title, el('small', {}, c.note)))),
  );
}

function currentPage(): PageModule {
  const id = location.hash.replace(/^#\/?/, '');
  return PAGES.find((p) => p.id === id) ?? PAGES[0]!;
}

/** Mounts the page of the current hash (after the previous one has let go of its model). */
function mount(): Promise<void> {
  mounting = mounting.then(async () => {
    await mounted?.dispose();
    const page = currentPage();
    renderNav(page.id);
    const root = el('article', { class: 'page', 'data-page': page.id, 'data-backend': activeBackend() });
    root.append(el('h2', {}, page.title), el('p', { class: 'blurb' }, page.blurb));
    pageRoot.replaceChildren(root);
    mounted = page.mount(root);
    document.title = `${page.title} · plasticity playground`;
  });
  return mounting;
}

function renderPicker(statuses: BackendStatus[]): void {
  const select = el('select', { id: 'backend', 'aria-label': 'tfjs backend' });
  for (const s of statuses) {
    const option = el('option', { value: s.name }, s.available ? s.name : `${s.name} (unavailable)`);
    option.disabled = !s.available;
    select.append(option);
  }
  select.value = activeBackend();
  select.onchange = () => {
    mounting = mounting.then(async () => {
      await mounted?.dispose();
      mounted = null;
      await useBackend(select.value as BackendName);
    });
    void mount();
  };
  const reasons = el('ul', { class: 'backend-reasons' },
    ...statuses.filter((s) => !s.available).map((s) => el('li', { 'data-backend': s.name }, el('b', {}, s.name), `: ${s.reason}`)));
  picker.replaceChildren(el('label', {}, 'backend ', select), reasons);
  // For the end-to-end tests: which backends this browser offers, and why not.
  (window as unknown as { __backends: BackendStatus[] }).__backends = statuses;
}

async function main(): Promise<void> {
  picker.textContent = 'starting backends…';
  const statuses = await probeBackends();
  renderPicker(statuses);
  window.addEventListener('hashchange', () => void mount());
  await mount();
  document.body.dataset.ready = 'true';
}

main().catch((error) => {
  picker.textContent = `could not start: ${(error as Error).message}`;
  console.error(error);
});
