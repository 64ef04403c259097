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
import { spnForecastPage } from './pages/spn-forecast.js';
import { pdlfPage } from './pages/pdlf.js';
import { bioTransformsPage } from './pages/bio-transforms.js';
import { el } from './ui.js';

const PAGES: readonly PageModule[] = [stdpWindowPage, songMillerAbbottPage, sparseNetworkPage, spnForecastPage, pdlfPage, bioTransformsPage, customRulePage, saveLoadPage];


const nav = document.getElementById('nav')!;
const pageRoot = document.getElementById('page')!;
const picker = document.getElementById('backend-picker')!;
let mounted: MountedPage | null = null;
let mounting: Promise<void> = Promise.resolve();

function renderNav(current: string): void {
  nav.replaceChildren(
    el('ul', {}, ...PAGES.map((p) => el('li', {}, el('a', { href: `#/${p.id}`, ...(p.id === current ? { 'aria-current': 'page' } : {}) }, p.title)))),
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
