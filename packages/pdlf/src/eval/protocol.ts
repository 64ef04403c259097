// The messages between a pool and its workers. Plain structured-cloneable objects and typed arrays:
// nothing here depends on Node, so web workers speak the same protocol.
import type { JsonValue } from '@plasticity/core';

export interface InitMessage {
  readonly type: 'init';
  /** URL of the fitness module (file:// in Node). */
  readonly module: string;
  readonly exportName: string;
  readonly batch: boolean;
  readonly data: JsonValue;
  readonly worker: { readonly slot: number; readonly incarnation: number };
}

export interface TaskMessage {
  readonly type: 'task';
  readonly taskId: number;
  readonly generation: number;
  /** Population indices of the solutions, in the order they are packed. */
  readonly indices: readonly number[];
  readonly dim: number;
  /** The solutions packed one after another: indices.length × dim float32 values. */
  readonly solutions: Float32Array;
}

export type ToWorker = InitMessage | TaskMessage;

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'init-error'; readonly message: string }
  | { readonly type: 'result'; readonly taskId: number; readonly fitness: Float64Array }
  | { readonly type: 'task-error'; readonly taskId: number; readonly message: string };

/** The transport a worker script serves the protocol over (Node's parentPort, a web worker's self). */
export interface WorkerEndpoint {
  post(message: FromWorker, transfer?: ArrayBuffer[]): void;
  onMessage(handler: (message: ToWorker) => void): void;
}
