// Runs a simulation in small chunks with a yield to the browser between them, so the page keeps
// painting and responding: Start / Pause / Reset buttons, a progress bar and a status line.
import { el } from './ui.js';

export interface Simulation {
  /** Builds the model (called on the first Start after a reset). */
  setup(): Promise<void>;
  /** Advances one chunk (a few ms of wall time); returns the fraction done, 1 when finished. */
  advance(): Promise<number>;
  /** Redraws the plots from the current state. */
  draw(): void | Promise<void>;
  /** Releases the model (tensors, networks). */
  teardown(): void;
}

export type RunState = 'idle' | 'running' | 'paused' | 'done' | 'error';

/** Waits for the next frame, or 50 ms when frames are throttled (a hidden tab). */
export const nextFrame = (): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, 50);
    requestAnimationFrame(() => { clearTimeout(timer); resolve(); });
  });

export class RunPanel {
  readonly element: HTMLElement;
  private state: RunState = 'idle';
  private built = false;
  private loop: Promise<void> | null = null;
  private readonly startButton: HTMLButtonElement;
  private readonly pauseButton: HTMLButtonElement;
  private readonly resetButton: HTMLButtonElement;
  private readonly bar: HTMLProgressElement;
  private readonly status: HTMLElement;

  constructor(private readonly sim: Simulation, private readonly host: HTMLElement) {
    this.startButton = el('button', { class: 'primary', 'data-action': 'start' }, 'Start');
    this.pauseButton = el('button', { 'data-action': 'pause' }, 'Pause');
    this.resetButton = el('button', { 'data-action': 'reset' }, 'Reset');
    this.bar = el('progress', { max: '1', value: '0' });
    this.status = el('span', { class: 'status' });
    this.startButton.onclick = () => void this.start();
    this.pauseButton.onclick = () => this.pause();
    this.resetButton.onclick = () => void this.reset();
    this.element = el('div', { class: 'run-panel' }, this.startButton, this.pauseButton, this.resetButton, this.bar, this.status);
    this.setState('idle');
  }

  /** Shows a message next to the progress bar. */
  say(message: string): void {
    this.status.textContent = message;
  }

  private setState(state: RunState): void {
    this.state = state;
    // Tests and styles read the state from the page element.
    this.host.dataset.runState = state;
    this.startButton.disabled = state === 'running';
    this.pauseButton.disabled = state !== 'running';
    this.startButton.textContent = state === 'paused' ? 'Resume' : state === 'done' ? 'Run again' : 'Start';
  }

  get running(): boolean {
    return this.state === 'running';
  }

  async start(): Promise<void> {
    if (this.state === 'running') return;
    if (this.state === 'done') await this.reset();
    this.setState('running');
    this.loop = this.run();
    await this.loop;
  }

  private async run(): Promise<void> {
    try {
      if (!this.built) {
        this.say('building…');
        await this.sim.setup();
        this.built = true;
      }
      while (this.state === 'running') {
        const fraction = await this.sim.advance();
        this.bar.value = fraction;
        await this.sim.draw();
        if (fraction >= 1) {
          this.setState('done');
          break;
        }
        await nextFrame();
      }
    } catch (error) {
      console.warn(error);
      this.say(`error: ${(error as Error).message}`);
      this.setState('error');
    } finally {
      this.loop = null;
    }
  }

  pause(): void {
    if (this.state === 'running') this.setState('paused');
  }

  /** Stops the loop and waits for the chunk in flight, so the model is idle (e.g. to save it). */
  async stop(): Promise<void> {
    this.pause();
    await this.loop;
  }

  async reset(): Promise<void> {
    await this.stop();
    if (this.built) this.sim.teardown();
    this.built = false;
    this.bar.value = 0;
    this.say('');
    this.setState('idle');
  }

  /** Marks the model as built from outside (a page that restored one from a file). */
  adopt(fraction: number): void {
    this.built = true;
    this.bar.value = fraction;
    this.setState(fraction >= 1 ? 'done' : 'paused');
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.built) this.sim.teardown();
    this.built = false;
  }
}
