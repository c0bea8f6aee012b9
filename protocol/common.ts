// Shared building blocks for the wire contract: ids, timestamps, the empty params object.
import * as v from 'valibot';

/** An entity id: a type prefix, an underscore and 26 base32 characters (`tsk_01jf3k7q9c4m8x2v5n6b7t8r9w`). */
export const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(64), v.description('An entity id such as `prj_…` or `tsk_…`'));

/** A timestamp in ISO 8601 UTC. */
export const Timestamp = v.pipe(v.string(), v.description('ISO 8601 timestamp, UTC'));

/** A non-negative integer event sequence number. */
export const Seq = v.pipe(v.number(), v.integer(), v.minValue(0), v.description('Global event sequence number'));

/** Params for a method that takes none: absent, null or `{}`. */
export const NoParams = v.optional(v.nullable(v.strictObject({})));

/** A progress token: when a request carries one, orchd reports `$/progress` with it. */
export const ProgressToken = v.optional(v.union([v.string(), v.number()]), undefined);

/** Result for methods that return nothing of interest. */
export const Ok = v.strictObject({ ok: v.literal(true) });
