/**
 * The plain-data side of tfjs-backend-webgpu 4.22.0 that the sparse kernels use. Library code never
 * imports a backend (importing one registers it), so the WebGPUProgram shape, the dispatch helpers
 * and the few backend methods we call are restated here. These are tfjs internals: tfjs is pinned
 * exactly (4.22.0) because they are not semver-stable.
 */
import { PlasticityError } from '@plasticity/core';
import type { DataId, DataType, TensorInfo } from '@tensorflow/tfjs-core';

/** Structural copy of tfjs-backend-webgpu's `WebGPUProgram` (fields the kernels set). */
export interface GpuProgram {
  /** Input names, bound in order as `var<storage, read> Name: array<f32|i32>` (i32 for int32/bool). */
  variableNames: string[];
  outputShape: number[];
  /** Prefix of the pipeline-cache key; tfjs appends ranks, dtypes, input names and the dispatch kind. */
  shaderKey: string;
  /** Always flat ({ x: every output dim }): the shader entry is `fn main(index : i32)`. */
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** Adds the `size : i32` uniform (the output's element count). */
  size?: boolean;
  /** Extra uniform fields (`name : type,` ...), filled in order by the uniforms passed to run. */
  uniforms?: string;
  /** Declares the output as `array<atomic<i32>>` (no setOutput helpers). */
  atomic?: boolean;
  getUserCode(): string;
}

/** A program uniform as `runWebGPUProgram` takes it. */
export interface GpuUniform {
  type: 'int32' | 'float32' | 'uint32';
  data: number[];
}

/** The part of tfjs-backend-webgpu's `WebGPUBackend` the kernels use. */
export interface GpuBackend {
  device: {
    limits: {
      maxComputeWorkgroupsPerDimension: number;
      maxStorageBufferBindingSize: number;
      maxBufferSize: number;
    };
  };
  runWebGPUProgram(
    program: GpuProgram, inputs: TensorInfo[], outputDtype: DataType, uniforms?: GpuUniform[], output?: TensorInfo,
  ): TensorInfo;
  /** Handles (tensors) sharing the buffer of dataId. */
  refCount(dataId: DataId): number;
  incRef(dataId: DataId): void;
}

/** Threads per workgroup of every sparse program (a multiple of every lane count used). */
export const WORKGROUP_SIZE = 64;

let dispatchLimitOverride: number | null = null;

/**
 * Caps the workgroups per dispatch dimension below the device limit (65535 on most adapters), or
 * restores the device limit with `null`. Dispatches larger than the cap are folded into 2-D or 3-D
 * grids; tests lower the cap to exercise that path on small shapes. Not exported from the package.
 */
export function setDispatchLimit(limit: number | null): void {
  if (limit !== null && !(Number.isInteger(limit) && limit >= 1)) {
    throw new PlasticityError('E_PARAM', `setDispatchLimit: limit must be a positive integer or null, got ${limit}`);
  }
  dispatchLimitOverride = limit;
}

/** Workgroups allowed per dispatch dimension on this backend (the override, if lower). */
export function dispatchLimit(backend: GpuBackend): number {
  const device = backend.device.limits.maxComputeWorkgroupsPerDimension;
  return dispatchLimitOverride === null ? device : Math.min(device, dispatchLimitOverride);
}

/**
 * Grid for `threads` invocations in workgroups of `workgroupSize`: [g, 1, 1] when g workgroups fit
 * in one dimension, else folded to [max, ceil(g / max), 1] or [max, max, ceil(g / max²)]. tfjs's
 * `getGlobalIndex()` linearises non-flat grids, so shaders see one flat index; the surplus
 * invocations of the last row are masked by each shader's bound check.
 */
export function foldDispatch(threads: number, workgroupSize: number, maxPerDim: number, what: string): [number, number, number] {
  if (threads > 2 ** 31 - 1) {
    throw new PlasticityError('E_BACKEND', `${what}: ${threads} GPU invocations exceed the i32 index range (2^31 - 1); split the call`);
  }
  const groups = Math.max(1, Math.ceil(threads / workgroupSize));
  if (groups <= maxPerDim) return [groups, 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  if (y <= maxPerDim) return [maxPerDim, y, 1];
  const z = Math.ceil(groups / (maxPerDim * maxPerDim));
  if (z <= maxPerDim) return [maxPerDim, maxPerDim, z];
  throw new PlasticityError('E_BACKEND', `${what}: ${groups} workgroups exceed ${maxPerDim}^3 (maxComputeWorkgroupsPerDimension)`);
}

/** Element count of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Throws E_BACKEND when a tensor is larger than one storage-buffer binding may be on this device
 * (tfjs binds whole buffers; WebGPU's default limit is 128 MiB, SwiftShader's 1 GiB), instead of
 * letting the dispatch fail validation or read zeros.
 */
export function checkBindingSize(backend: GpuBackend, what: string, name: string, shape: readonly number[]): void {
  const bytes = sizeOf(shape) * 4;
  const { maxStorageBufferBindingSize, maxBufferSize } = backend.device.limits;
  const limit = Math.min(maxStorageBufferBindingSize, maxBufferSize);
  if (bytes > limit) {
    throw new PlasticityError('E_BACKEND',
      `${what}: ${name} [${shape.join(', ')}] needs ${bytes} bytes, more than this WebGPU device binds in one buffer ` +
      `(${limit} bytes, maxStorageBufferBindingSize); use the cpu or wasm backend or split the connection`);
  }
}

/** A program with a flat layout over `outputShape` and the folded grid for `threads` invocations. */
export function makeProgram(
  backend: GpuBackend,
  fields: Omit<GpuProgram, 'dispatchLayout' | 'dispatch' | 'workgroupSize'>,
  threads: number,
): GpuProgram {
  return {
    ...fields,
    dispatchLayout: { x: fields.outputShape.map((_, i) => i) },
    dispatch: foldDispatch(threads, WORKGROUP_SIZE, dispatchLimit(backend), fields.shaderKey),
    workgroupSize: [WORKGROUP_SIZE, 1, 1],
  };
}
