// Runs before `pnpm demo` builds the packages, so the first run (about 30 s of turbo/tsup with no output
// of its own) says what it is doing instead of sitting silent. Later runs are cached and quick.
import { existsSync } from 'node:fs';

const built = existsSync(new URL('../dist/main.js', import.meta.url));
console.error(built
  ? '[demo] checking the package builds (cached)…'
  : '[demo] building the @plasticity packages and the demo CLI (first run: about 30 s)…');
