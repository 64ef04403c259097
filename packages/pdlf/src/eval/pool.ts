// A pool of workers evaluating a population in chunks, independent of the runtime: a WorkerFactory
// makes the workers (Node worker threads in `@plasticity/pdlf/node`, web workers with webWorkerFactory).
//
// Failure policy. A worker that throws in the fitness function, exits, sends a malformed result or runs
// past `taskTimeoutMs` is terminated and replaced (a fresh worker loads the module again), and the
// solutions it held are queued again — split into single solutions, so one poisonous solution cannot
// take its chunk-mates down with it. A solution whose evaluation failed `maxAttempts` times gets NaN
// (the strategies count it as the worst) and a 'gave-up' event; the evaluation itself still resolves.
// Only configuration errors reject: a module that cannot be loaded, an export that is not a function,
// a worker script that fails to start `maxAttempts` times in a row.
import { PlasticityError, describeValue, isJson } from '@plasticity/core';
import type { FromWorker, ToWorker } from './protocol.js';
import type { EvaluateOptions, Evaluator, EvaluatorEvent, FitnessModuleSpec } from './types.js';

/** A started worker, as the pool sees it. */
export interface PoolWorkerHandle {
  post(message: ToWorker, transfer?: ArrayBuffer[]): void;
  terminate(): void;
  /** Keep the process alive while the worker works (Node); optional. */
  ref?(): void;
  /** Let the process exit while the worker idles (Node); optional. */
  unref?(): void;
}

/** What a worker reports to the pool: its messages, and its end (crash, exit, load error of the script). */
export interface PoolWorkerEvents {
  message(message: FromWorker): void;
  exit(reason: string): void;
}

/** Starts one worker running a script that calls `serveFitness` (e.g. `@plasticity/pdlf`'s worker-node.js). */
export type WorkerFactory = (events: PoolWorkerEvents, info: { readonly slot: number; readonly incarnation: number }) => PoolWorkerHandle;

export interface WorkerPoolOptions {
  readonly factory: WorkerFactory;
  /** The fitness function the workers load (its `module` must be a URL string the workers can import). */
  readonly fitness: FitnessModuleSpec;
  /** Number of workers (>= 1). */
  readonly size: number;
  /** Solutions per task message: ceil(n / (4·size)) unless given (small enough to balance, large enough to amortise messages). */
  readonly chunkSize?: number;
  /** A task (one chunk) that runs longer is taken for a hang: the worker is replaced and the chunk re-run. 300 000 ms; Infinity for none. */
  readonly taskTimeoutMs?: number;
  /** A worker must have loaded the module within this: 60 000 ms. */
  readonly startTimeoutMs?: number;
  /** Tries per solution before it gets NaN; starts per slot before the pool gives up: 3. */
  readonly maxAttempts?: number;
  /** Told about every failure and recovery. */
  readonly onEvent?: (event: EvaluatorEvent) => void;
}

export interface WorkerPoolStats {
  /** Workers replaced after a failure. */
  readonly replacements: number;
  /** Worker failures (throws, exits, timeouts, bad results). */
  readonly failures: number;
  /** Solutions that got NaN after maxAttempts failures. */
  readonly gaveUp: number;
  /** Task messages completed. */
  readonly tasks: number;
}

interface Chunk {
  readonly indices: number[];
  readonly attempts: number;
}

interface Slot {
  readonly index: number;
  incarnation: number;
  handle: PoolWorkerHandle | null;
  status: 'off' | 'starting' | 'idle' | 'busy';
  task: { id: number; chunk: Chunk } | null;
  timer: ReturnType<typeof setTimeout> | null;
  startFailures: number;
}

interface Run {
  readonly solutions: readonly Float32Array[];
  readonly dim: number;
  readonly generation: number;
  readonly out: Float64Array;
  readonly queue: Chunk[];
  remaining: number;
  resolve(fitness: Float64Array): void;
  reject(error: unknown): void;
}

export function checkSolutions(solutions: unknown): number {
  if (!Array.isArray(solutions)) throw new PlasticityError('E_PARAM', `solutions must be an array of Float32Array, got ${describeValue(solutions)}`);
  let dim = -1;
  solutions.forEach((s, i) => {
    if (!(s instanceof Float32Array)) throw new PlasticityError('E_PARAM', `solutions[${i}] must be a Float32Array, got ${describeValue(s)}`);
    if (dim === -1) dim = s.length;
    else if (s.length !== dim) throw new PlasticityError('E_SHAPE', `every solution must have the same length: solutions[0] has ${dim}, solutions[${i}] has ${s.length}`);
  });
  return Math.max(dim, 0);
}

export function checkGeneration(options: EvaluateOptions | undefined): number {
  const generation = options?.generation ?? 0;
  if (!Number.isSafeInteger(generation) || generation < 0) throw new PlasticityError('E_PARAM', `generation must be an integer >= 0, got ${describeValue(generation)}`);
  return generation;
}

function checkSpec(spec: FitnessModuleSpec, problems: string[]): void {
  if (spec === null || typeof spec !== 'object') {
    problems.push(`fitness must be { module, exportName?, batch?, data? }, got ${describeValue(spec)}`);
    return;
  }
  if (typeof spec.module !== 'string' && !(spec.module instanceof URL)) problems.push(`fitness.module must be a URL or a path string, got ${describeValue(spec.module)}`);
  if (spec.exportName !== undefined && (typeof spec.exportName !== 'string' || spec.exportName === '')) problems.push(`fitness.exportName must be a non-empty string, got ${describeValue(spec.exportName)}`);
  if (spec.batch !== undefined && typeof spec.batch !== 'boolean') problems.push(`fitness.batch must be true or false, got ${describeValue(spec.batch)}`);
  if (spec.data !== undefined && !isJson(spec.data)) problems.push('fitness.data must be JSON (it is copied to every worker)');
}

/** Problems with a fitness spec ([] when valid). */
export function validateFitnessSpec(spec: FitnessModuleSpec): string[] {
  const problems: string[] = [];
  checkSpec(spec, problems);
  return problems;
}

export class WorkerPool implements Evaluator {
  readonly size: number;
  private readonly options: Required<Omit<WorkerPoolOptions, 'onEvent' | 'chunkSize'>> & Pick<WorkerPoolOptions, 'onEvent' | 'chunkSize'>;
  private readonly slots: Slot[];
  private run: Run | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private nextTaskId = 1;
  private closed = false;
  private fatal: PlasticityError | null = null;
  private counters = { replacements: 0, failures: 0, gaveUp: 0, tasks: 0 };

  constructor(options: WorkerPoolOptions) {
    const problems: string[] = [];
    if (options === null || typeof options !== 'object') throw new PlasticityError('E_PARAM', `pool options must be an object, got ${describeValue(options)}`);
    if (typeof options.factory !== 'function') problems.push(`factory must be a function, got ${describeValue(options.factory)}`);
    checkSpec(options.fitness, problems);
    if (!Number.isSafeInteger(options.size) || options.size < 1) problems.push(`size must be an integer >= 1, got ${describeValue(options.size)}`);
    if (options.chunkSize !== undefined && (!Number.isSafeInteger(options.chunkSize) || options.chunkSize < 1)) problems.push(`chunkSize must be an integer >= 1, got ${describeValue(options.chunkSize)}`);
    for (const name of ['taskTimeoutMs', 'startTimeoutMs'] as const) {
      const v = options[name];
      if (v !== undefined && !(typeof v === 'number' && v > 0)) problems.push(`${name} must be a number > 0 (Infinity for no limit), got ${describeValue(v)}`);
    }
    if (options.maxAttempts !== undefined && (!Number.isSafeInteger(options.maxAttempts) || options.maxAttempts < 1)) problems.push(`maxAttempts must be an integer >= 1, got ${describeValue(options.maxAttempts)}`);
    if (options.onEvent !== undefined && typeof options.onEvent !== 'function') problems.push(`onEvent must be a function, got ${describeValue(options.onEvent)}`);
    if (problems.length > 0) throw new PlasticityError('E_PARAM', `invalid worker pool configuration: ${problems.join('; ')}`);
    this.options = { taskTimeoutMs: 300_000, startTimeoutMs: 60_000, maxAttempts: 3, ...options };
    this.size = options.size;
    this.slots = Array.from({ length: options.size }, (_, index) => ({ index, incarnation: -1, handle: null, status: 'off', task: null, timer: null, startFailures: 0 }));
  }

  /** Counts of failures and recoveries since the pool was made. */
  get stats(): WorkerPoolStats {
    return { ...this.counters };
  }

  /** Starts the workers now (evaluate starts them otherwise) and waits until they have loaded the module. */
  async start(): Promise<void> {
    if (this.closed) throw new PlasticityError('E_PARAM', 'the worker pool is closed');
    for (const slot of this.slots) if (slot.status === 'off') this.spawn(slot);
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.fatal) reject(this.fatal);
        else if (this.slots.every((s) => s.status === 'idle' || s.status === 'busy')) resolve();
        else setTimeout(check, 5);
      };
      check();
    });
    for (const slot of this.slots) slot.handle?.unref?.();
  }

  evaluate(solutions: readonly Float32Array[], options?: EvaluateOptions): Promise<Float64Array> {
    const dim = checkSolutions(solutions);
    const generation = checkGeneration(options);
    if (this.closed) return Promise.reject(new PlasticityError('E_PARAM', 'the worker pool is closed'));
    const next = this.chain.then(() => this.evaluateNow(solutions, dim, generation));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private evaluateNow(solutions: readonly Float32Array[], dim: number, generation: number): Promise<Float64Array> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.closed) return Promise.reject(new PlasticityError('E_PARAM', 'the worker pool is closed'));
    const n = solutions.length;
    if (n === 0) return Promise.resolve(new Float64Array(0));
    const size = this.options.chunkSize ?? Math.max(1, Math.ceil(n / (4 * this.size)));
    const queue: Chunk[] = [];
    for (let start = 0; start < n; start += size) {
      queue.push({ indices: Array.from({ length: Math.min(size, n - start) }, (_, k) => start + k), attempts: 0 });
    }
    return new Promise<Float64Array>((resolve, reject) => {
      this.run = { solutions, dim, generation, out: new Float64Array(n), queue, remaining: n, resolve, reject };
      for (const slot of this.slots) {
        if (slot.status === 'off') this.spawn(slot);
        else slot.handle?.ref?.();
      }
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const slot of this.slots) this.kill(slot);
    if (this.run) this.finish(new PlasticityError('E_PARAM', 'the worker pool was closed during an evaluation'));
  }

  private emit(event: EvaluatorEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's error must not break the pool.
    }
  }

  private spawn(slot: Slot): void {
    slot.incarnation++;
    slot.status = 'starting';
    slot.task = null;
    const incarnation = slot.incarnation;
    let handle: PoolWorkerHandle | null = null;
    const current = () => handle !== null && slot.handle === handle && slot.incarnation === incarnation;
    const events: PoolWorkerEvents = {
      message: (message) => {
        if (current()) this.onMessage(slot, message);
      },
      exit: (reason) => {
        if (current()) this.onExit(slot, reason);
      },
    };
    try {
      handle = this.options.factory(events, { slot: slot.index, incarnation });
    } catch (error) {
      this.setFatal(new PlasticityError('E_PARAM', `the worker factory failed: ${(error as Error).message}`));
      return;
    }
    slot.handle = handle;
    const spec = this.options.fitness;
    handle.post({
      type: 'init', module: String(spec.module), exportName: spec.exportName ?? 'fitness', batch: spec.batch ?? false, data: spec.data ?? null,
      worker: { slot: slot.index, incarnation },
    });
    this.arm(slot, this.options.startTimeoutMs, () => this.onExit(slot, `did not load the fitness module within ${this.options.startTimeoutMs} ms`));
  }

  private arm(slot: Slot, ms: number, onTimeout: () => void): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = Number.isFinite(ms) ? setTimeout(onTimeout, ms) : null;
  }

  private kill(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    const handle = slot.handle;
    slot.handle = null;
    slot.status = 'off';
    slot.task = null;
    if (handle) {
      try {
        handle.terminate();
      } catch {
        // already gone
      }
    }
  }

  private onMessage(slot: Slot, message: FromWorker): void {
    if (message.type === 'ready') {
      if (slot.status !== 'starting') return;
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
      slot.status = 'idle';
      slot.startFailures = 0;
      if (!this.run) slot.handle?.unref?.();
      this.dispatch();
    } else if (message.type === 'init-error') {
      this.setFatal(new PlasticityError('E_PARAM', `fitness module failed in worker ${slot.index}: ${message.message}`));
    } else if (message.type === 'result' || message.type === 'task-error') {
      const task = slot.task;
      if (!task || task.id !== message.taskId || !this.run) return;
      if (message.type === 'task-error') {
        this.fail(slot, 'threw', message.message);
        return;
      }
      const fitness = message.fitness;
      if (!(fitness instanceof Float64Array) || fitness.length !== task.chunk.indices.length) {
        this.fail(slot, 'bad-result', `expected ${task.chunk.indices.length} fitness values, got ${describeValue(fitness)}`);
        return;
      }
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
      const run = this.run;
      task.chunk.indices.forEach((index, k) => {
        run.out[index] = fitness[k]!;
      });
      run.remaining -= task.chunk.indices.length;
      slot.task = null;
      slot.status = 'idle';
      this.counters.tasks++;
      this.settleOrDispatch();
    }
  }

  private onExit(slot: Slot, reason: string): void {
    if (this.closed) return;
    if (slot.status === 'starting') {
      this.kill(slot);
      slot.startFailures++;
      this.counters.failures++;
      this.emit({ type: 'worker-failed', slot: slot.index, incarnation: slot.incarnation, reason: 'exited', message: `while starting: ${reason}`, indices: [] });
      if (slot.startFailures >= this.options.maxAttempts) {
        this.setFatal(new PlasticityError('E_PARAM', `worker ${slot.index} failed to start ${slot.startFailures} times in a row (last: ${reason})`));
        return;
      }
      this.replace(slot);
      return;
    }
    this.fail(slot, 'exited', reason);
  }

  /** The worker in `slot` failed: replace it and queue its solutions again (or give up on them). */
  private fail(slot: Slot, reason: 'threw' | 'exited' | 'timeout' | 'bad-result', message: string): void {
    const chunk = slot.task?.chunk ?? null;
    const incarnation = slot.incarnation;
    this.kill(slot);
    this.counters.failures++;
    this.emit({ type: 'worker-failed', slot: slot.index, incarnation, reason, message, indices: chunk ? [...chunk.indices] : [] });
    const run = this.run;
    if (chunk && run) {
      const attempts = chunk.attempts + 1;
      if (attempts >= this.options.maxAttempts) {
        for (const index of chunk.indices) run.out[index] = NaN;
        run.remaining -= chunk.indices.length;
        this.counters.gaveUp += chunk.indices.length;
        this.emit({ type: 'gave-up', indices: [...chunk.indices], attempts, message });
      } else {
        // Singles at the front: the failed work is retried first, each solution on its own.
        run.queue.unshift(...chunk.indices.map((index) => ({ indices: [index], attempts })));
      }
    }
    if (this.closed || this.fatal) return;
    this.replace(slot);
    this.settleOrDispatch();
  }

  private replace(slot: Slot): void {
    this.counters.replacements++;
    this.spawn(slot);
    this.emit({ type: 'worker-replaced', slot: slot.index, incarnation: slot.incarnation });
  }

  private dispatch(): void {
    const run = this.run;
    if (!run) return;
    for (const slot of this.slots) {
      if (run.queue.length === 0) break;
      if (slot.status !== 'idle' || !slot.handle) continue;
      const chunk = run.queue.shift()!;
      const packed = new Float32Array(chunk.indices.length * run.dim);
      chunk.indices.forEach((index, k) => packed.set(run.solutions[index]!, k * run.dim));
      const id = this.nextTaskId++;
      slot.task = { id, chunk };
      slot.status = 'busy';
      this.arm(slot, this.options.taskTimeoutMs, () => this.fail(slot, 'timeout', `did not answer within taskTimeoutMs=${this.options.taskTimeoutMs} ms`));
      slot.handle.post({ type: 'task', taskId: id, generation: run.generation, indices: chunk.indices, dim: run.dim, solutions: packed }, [packed.buffer]);
    }
  }

  private settleOrDispatch(): void {
    if (this.run && this.run.remaining === 0) this.finish(null);
    else this.dispatch();
  }

  private finish(error: unknown): void {
    const run = this.run;
    if (!run) return;
    this.run = null;
    for (const slot of this.slots) {
      if (slot.status === 'busy' && error) this.kill(slot);
      slot.handle?.unref?.();
    }
    if (error) run.reject(error);
    else run.resolve(run.out);
  }

  private setFatal(error: PlasticityError): void {
    if (this.fatal) return;
    this.fatal = error;
    for (const slot of this.slots) this.kill(slot);
    this.finish(error);
  }
}
