/** A progress bar on stderr: redrawn in place on a terminal, a line every 10% otherwise (CI logs). */
export interface Progress {
  update(done: number, note?: string): void;
  finish(note?: string): void;
}

export function createProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const width = 28;
  const started = performance.now();
  let lastDecile = -1;
  const line = (done: number, note = '') => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(fraction * width);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    return `${label.padEnd(26)} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${seconds}s ${note}`;
  };
  return {
    update(done, note) {
      if (stream.isTTY) {
        stream.write(`\r${line(done, note)}\x1b[K`);
        return;
      }
      const decile = Math.floor((10 * done) / Math.max(1, total));
      if (decile > lastDecile) {
        lastDecile = decile;
        stream.write(`${line(done, note)}\n`);
      }
    },
    finish(note) {
      stream.write(`${stream.isTTY ? '\r' : ''}${line(total, note)}${stream.isTTY ? '\x1b[K' : ''}\n`);
    },
  };
}
