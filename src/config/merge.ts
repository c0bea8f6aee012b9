// How layers combine (docs/configuration.md "Precedence"): lowest first, a higher layer's value wins. The sections
// `scripts`, `approvals`, `terminal` and `retention` merge key by key; `profiles` merge by name, a profile of a higher
// layer replacing one of the same name whole; everything else (lists included) is replaced. Every value remembers the
// layer it came from, by dotted path (`scripts.setup`, `profiles.fast`, `autoCommit`).
import type { ConfigLayerName } from '../../protocol/config.js';
import type { EffectiveConfig } from './defaults.js';
import { isPlainObject, type ConfigValues } from './document.js';

/** Sections whose keys merge one by one. */
const KEYED_SECTIONS = new Set(['scripts', 'approvals', 'terminal', 'retention']);

export interface LayerInput {
  layer: ConfigLayerName;
  values: ConfigValues | EffectiveConfig;
}

export interface MergedConfig {
  config: EffectiveConfig;
  /** For every value, by dotted path, the layer it came from. */
  sources: Record<string, ConfigLayerName>;
}

/** Merge layers, lowest first. The first layer is expected to be the built-in defaults, so every key is present. */
export function mergeLayers(layers: readonly LayerInput[]): MergedConfig {
  const config: Record<string, unknown> = {};
  const sources: Record<string, ConfigLayerName> = {};
  for (const { layer, values } of layers) {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue;
      if (key === 'profiles' && isPlainObject(value)) {
        const profiles = (config.profiles ??= {}) as Record<string, unknown>;
        for (const [name, profile] of Object.entries(value)) {
          profiles[name] = structuredClone(profile);
          sources[`profiles.${name}`] = layer;
        }
      } else if (KEYED_SECTIONS.has(key) && isPlainObject(value)) {
        const section = (config[key] ??= {}) as Record<string, unknown>;
        for (const [inner, innerValue] of Object.entries(value)) {
          if (innerValue === undefined) continue;
          section[inner] = structuredClone(innerValue);
          sources[`${key}.${inner}`] = layer;
        }
      } else {
        config[key] = structuredClone(value);
        sources[key] = layer;
      }
    }
  }
  return { config: config as unknown as EffectiveConfig, sources };
}

/**
 * Apply a JSON merge patch (RFC 7396): objects merge recursively, `null` removes a key, anything else (lists too)
 * replaces. Neither argument is changed.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}
