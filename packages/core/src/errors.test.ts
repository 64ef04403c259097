import { describe, expect, it } from 'vitest';
import { PlasticityError, check, describeValue, isPlasticityError } from './index.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isPlasticityError(error) ? error.code : 'not-a-PlasticityError';
  }
  return undefined;
}

describe('PlasticityError', () => {
  it('carries a stable code and prefixes the message with it', () => {
    const error = new PlasticityError('E_SHAPE', 'x must have shape [2]');
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('E_SHAPE');
    expect(error.message).toBe('E_SHAPE: x must have shape [2]');
    expect(isPlasticityError(error, 'E_SHAPE')).toBe(true);
    expect(isPlasticityError(error, 'E_PARAM')).toBe(false);
    expect(isPlasticityError(new Error('x'))).toBe(false);
  });

  it('describes values briefly', () => {
    expect(describeValue(NaN)).toBe('NaN');
    expect(describeValue('a')).toBe('"a"');
    expect(describeValue(new Float32Array(1000))).toBe('Float32Array(1000)');
    expect(describeValue([1, 2])).toBe('[1, 2]');
    expect(describeValue(() => 1)).toBe('a function');
  });
});

describe('validators', () => {
  it('name the argument, the value and the expectation', () => {
    expect(() => check.positive('tauMs', -3)).toThrow('E_PARAM: tauMs must be > 0, got -3');
    expect(() => check.finite('dtMs', NaN)).toThrow('E_PARAM: dtMs must be a finite number, got NaN');
    expect(() => check.nonNegative('rateHz', -1)).toThrow('rateHz must be >= 0, got -1');
    expect(() => check.integer('n', 1.5)).toThrow('n must be an integer, got 1.5');
    expect(() => check.integer('n', 7, 0, 5)).toThrow('n must be an integer in [0, 5], got 7');
    expect(() => check.inRange('p', 1.5, 0, 1)).toThrow('p must be in [0, 1], got 1.5');
    expect(() => check.inRange('p', 0, 0, 1, { min: true })).toThrow('p must be in (0, 1], got 0');
    expect(() => check.oneOf('mode', 'x', ['a', 'b'] as const)).toThrow('mode must be one of "a", "b", got "x"');
    expect(() => check.bounds('stdp', 1, 0)).toThrow('stdp: wMin must be <= wMax, got wMin=1 > wMax=0');
    expect(() => check.shape('pre', [3, 4], [null, 5])).toThrow('E_SHAPE: pre must have shape [*, 5], got [3, 4]');
    expect(() => check.length('post', 3, 4)).toThrow('post must have length 4, got 3');
    expect(() => check.allFinite('w', [0, 1, Infinity])).toThrow('w must contain only finite numbers, got Infinity at index 2');
  });

  it('return valid values and accept the edges', () => {
    expect(check.positive('a', 2)).toBe(2);
    expect(check.inRange('p', 1, 0, 1)).toBe(1);
    expect(check.oneOf('m', 'b', ['a', 'b'] as const)).toBe('b');
    expect(check.integer('n', 5, 0, 5)).toBe(5);
    expect(codeOf(() => check.bounds('b', 0, 0))).toBeUndefined();
    expect(codeOf(() => check.bounds('b', undefined, 1))).toBeUndefined();
    expect(codeOf(() => check.shape('x', [2, 3], [2, 3]))).toBeUndefined();
    expect(codeOf(() => check.bounds('b', NaN, 1))).toBe('E_PARAM');
  });
});
