import fc from 'fast-check';

/** fast-check generators for shapes, spike trains and sparse structures (small, so suites stay fast). */

export const arbDim = (max = 12): fc.Arbitrary<number> => fc.integer({ min: 1, max });

export const arbShape = (maxRank = 3, maxDim = 8): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: 1, maxLength: maxRank });

export const arbFloat32Array = (length: number, min = -1, max = 1): fc.Arbitrary<Float32Array> =>
  fc.float32Array({ minLength: length, maxLength: length, min: Math.fround(min), max: Math.fround(max), noNaN: true, noDefaultInfinity: true });

export interface SpikeTrain {
  readonly n: number;
  readonly steps: number;
  /** Row-major [steps, n], 0/1. */
  readonly spikes: Uint8Array;
}

export const arbSpikeTrain = (options: { maxN?: number; maxSteps?: number; rate?: number } = {}): fc.Arbitrary<SpikeTrain> =>
  fc
    .record({ n: fc.integer({ min: 1, max: options.maxN ?? 8 }), steps: fc.integer({ min: 1, max: options.maxSteps ?? 50 }) })
    .chain(({ n, steps }) =>
      fc
        .array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n * steps, maxLength: n * steps })
        .map((u) => ({ n, steps, spikes: Uint8Array.from(u, (x) => (x < (options.rate ?? 0.2) ? 1 : 0)) })),
    );

export interface SparseTriples {
  readonly nPre: number;
  readonly nPost: number;
  readonly pre: Int32Array;
  readonly post: Int32Array;
  readonly weights: Float32Array;
}

/**
 * COO triples on an nPre × nPost grid, in random order. `duplicates` allows repeated (pre, post)
 * pairs; the default gives distinct pairs. Empty matrices and empty rows occur.
 */
export const arbSparse = (options: { maxPre?: number; maxPost?: number; maxNnz?: number; duplicates?: boolean } = {}): fc.Arbitrary<SparseTriples> =>
  fc
    .record({ nPre: fc.integer({ min: 1, max: options.maxPre ?? 10 }), nPost: fc.integer({ min: 1, max: options.maxPost ?? 10 }) })
    .chain(({ nPre, nPost }) => {
      const cell = fc.tuple(fc.integer({ min: 0, max: nPre - 1 }), fc.integer({ min: 0, max: nPost - 1 }));
      const maxLength = Math.min(options.maxNnz ?? 40, options.duplicates ? 40 : nPre * nPost);
      const cells = options.duplicates
        ? fc.array(cell, { maxLength })
        : fc.uniqueArray(cell, { maxLength, selector: ([i, j]) => i * nPost + j });
      return cells.chain((list) =>
        arbFloat32Array(list.length, -1, 1).map((w) => ({
          nPre,
          nPost,
          pre: Int32Array.from(list, ([i]) => i),
          post: Int32Array.from(list, ([, j]) => j),
          // Stored synapses are non-zero so a dense round trip keeps them.
          weights: Float32Array.from(w, (x) => (x === 0 ? 0.5 : x)),
        })),
      );
    });
