/**
 * Field rules both sides of the client ⇄ tracker protocol check: the tracker
 * in the requests it parses (protocol/tracker.ts), the client in the replies
 * and events it parses (protocol/replies.ts, protocol/events.ts). One rule
 * each, so the two can never disagree on what a valid id is.
 *
 * zod/mini, not zod: the client runs these in the browser, and the classic
 * build would add most of zod to the web app's bundle. Classic schemas take
 * these as fields as they are (both are zod 4 core types), with the same
 * error messages.
 */
import * as z from 'zod/mini';
import { batchListProblem } from './batch.ts';
import { MAX_BATCH_FILES, MAX_BATCH_PATH_LENGTH, MAX_FILE_BYTES, MAX_FILE_NAME_LENGTH, MAX_PIECES, NAME_PATTERN, PIECE_SIZE } from './constants.ts';

/** A user id, chosen at sign-up. */
export const UserId = z.string().check(z.regex(NAME_PATTERN, 'letters, digits, . _ - (1–32, starting with a letter or digit)'));
/** A group id, chosen at creation. */
export const GroupId = UserId;
/** SHA-1 in lowercase hex: file ids and piece hashes. */
export const Sha1Hex = z.string().check(z.regex(/^[0-9a-f]{40}$/, '40 lowercase hex digits'));
/** A per-connection presence id, handed out in the hello reply (protocol/ids.ts PresenceId). */
export const PeerId = z.string().check(z.regex(/^[A-Za-z0-9_-]{8,32}$/));

/** One file of a batch: its path under the folder it is saved into (checked whole by batchListProblem) and its size. */
export const BatchFile = z.strictObject({
  path: z.string().check(z.maxLength(MAX_BATCH_PATH_LENGTH)),
  size: z.int().check(z.minimum(0), z.maximum(MAX_FILE_BYTES)),
});

/** Metadata of a shared file; its id is the SHA-1 of `canonicalFileMeta`. */
export const FileMeta = z.strictObject({
  /** The group the file is shared into. */
  groupId: GroupId,
  /** The file's name as the sharer's browser reports it. */
  name: z.string().check(z.minLength(1), z.maxLength(MAX_FILE_NAME_LENGTH)),
  /** Size in bytes; 0 is a file too (a placeholder, a marker file): it has no pieces. */
  size: z.int().check(z.minimum(0), z.maximum(MAX_FILE_BYTES)),
  /** Always PIECE_SIZE today; carried so the id covers it. */
  pieceSize: z.literal(PIECE_SIZE),
  /** SHA-1 of each piece, in order (none for an empty file). */
  pieceHashes: z.array(Sha1Hex).check(z.maxLength(MAX_PIECES)),
  /**
   * A batch (protocol/batch.ts): the files laid one after another over the
   * entry's one piece space, `size` their sum. Absent for a single file.
   */
  files: z.optional(z.array(BatchFile).check(z.maxLength(MAX_BATCH_FILES))),
}).check(
  z.superRefine((meta, ctx) => {
    const problem = meta.files && batchListProblem(meta.files, meta.size);
    if (problem) ctx.issues.push({ code: 'custom', message: problem, input: meta.files, path: ['files'] });
  }),
);
export type FileMeta = z.infer<typeof FileMeta>;
