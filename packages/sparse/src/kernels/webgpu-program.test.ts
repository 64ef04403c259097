// Dispatch folding, lane choice and binding-size checks of the WebGPU kernels: plain arithmetic,
// runs without a GPU (the kernels themselves are tested in webgpu.gpu-test.ts).
import { isPlasticityError } from '@plasticity/core';
import { describe, expect, it } from 'vitest';
import { checkBindingSize, dispatchLimit, foldDispatch, setDispatchLimit, type GpuBackend } from './webgpu-program.js';
import { lanesFor } from './webgpu-programs.js';

function fakeBackend(maxPerDim = 65535, maxBinding = 128 * 2 ** 20): GpuBackend {
  return {
    device: { limits: { maxComputeWorkgroupsPerDimension: maxPerDim, maxStorageBufferBindingSize: maxBinding, maxBufferSize: 2 ** 30 } },
    runWebGPUProgram: () => {
      throw new Error('not used');
    },
    refCount: () => 1,
    incRef: () => undefined,
  };
}

function covered(grid: [number, number, number], workgroupSize: number): number {
  return grid[0] * grid[1] * grid[2] * workgroupSize;
}

describe('foldDispatch', () => {
  it('keeps grids within the per-dimension limit and covers every invocation', () => {
    const max = 65535;
    for (const threads of [0, 1, 64, 65, 64 * 65535, 64 * 65535 + 1, 64 * 65536, 64 * 65535 * 2 + 7, 2 ** 31 - 1]) {
      const grid = foldDispatch(threads, 64, max, 'test');
      expect(Math.max(...grid)).toBeLessThanOrEqual(max);
      expect(covered(grid, 64)).toBeGreaterThanOrEqual(threads);
      // At most one partial row of workgroups is wasted.
      expect(covered(grid, 64) - threads).toBeLessThanOrEqual(64 * (grid[1] > 1 || grid[2] > 1 ? max : 1));
    }
    expect(foldDispatch(64 * 65535, 64, max, 'test')).toEqual([65535, 1, 1]);
    expect(foldDispatch(64 * 65535 + 1, 64, max, 'test')).toEqual([65535, 2, 1]);
  });

  it('folds into three dimensions and refuses what does not fit', () => {
    expect(foldDispatch(64 * 10, 64, 3, 'test')).toEqual([3, 3, 2]);
    expect(foldDispatch(64 * 9, 64, 3, 'test')).toEqual([3, 3, 1]);
    expect(() => foldDispatch(64 * 28, 64, 3, 'test')).toThrow(/exceed/);
    let caught: unknown;
    try {
      foldDispatch(2 ** 31, 64, 65535, 'k');
    } catch (e) {
      caught = e;
    }
    expect(isPlasticityError(caught, 'E_BACKEND')).toBe(true);
  });

  it('setDispatchLimit lowers the device limit and null restores it', () => {
    const backend = fakeBackend(65535);
    expect(dispatchLimit(backend)).toBe(65535);
    setDispatchLimit(4);
    expect(dispatchLimit(backend)).toBe(4);
    expect(dispatchLimit(fakeBackend(2))).toBe(2);
    setDispatchLimit(null);
    expect(dispatchLimit(backend)).toBe(65535);
    expect(() => setDispatchLimit(0)).toThrow(/positive integer/);
  });
});

describe('lanesFor', () => {
  it('is the next power of two >= the mean row length, in [1, 64]', () => {
    expect(lanesFor(0, 10)).toBe(1);
    expect(lanesFor(10, 0)).toBe(1);
    expect(lanesFor(10, 10)).toBe(1);
    expect(lanesFor(11, 10)).toBe(2);
    expect(lanesFor(100, 10)).toBe(16);
    expect(lanesFor(1e6, 1e4)).toBe(64);
    for (let nnz = 0; nnz < 2000; nnz += 37) {
      const lanes = lanesFor(nnz, 7);
      expect(64 % lanes).toBe(0); // tasks never straddle a workgroup
    }
  });
});

describe('checkBindingSize', () => {
  it('accepts a tensor at the binding limit and rejects one element more with E_BACKEND', () => {
    const backend = fakeBackend(65535, 4096);
    expect(() => checkBindingSize(backend, 'k', 'weights', [1024])).not.toThrow();
    let caught: unknown;
    try {
      checkBindingSize(backend, 'k', 'weights', [1025]);
    } catch (e) {
      caught = e;
    }
    expect(isPlasticityError(caught, 'E_BACKEND')).toBe(true);
    expect(String(caught)).toMatch(/weights \[1025\] needs 4100 bytes/);
  });
});
