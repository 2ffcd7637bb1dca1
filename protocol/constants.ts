/**
 * Numbers every side agrees on. Each carries the reason it has the value it has,
 * so the next engineer can tell a tuning knob from a compatibility contract.
 */

/**
 * Client ⇄ tracker protocol version. A tracker refuses a hello with another,
 * and the client shows the refusal as it is. 2: signals travel in `signals`
 * frames, several per frame and answered only when one is refused (a client
 * of 1 waited for an `ok` per signal; a tracker of 1 does not know them).
 * 3: a signal's data travels as its sender wrote it, after the frame's JSON
 * line, both ways (protocol/signals-frame.ts): a tracker of 2 would read the
 * frame as bad JSON, and a client of 2 would drop every relayed signal.
 */
export const PROTOCOL_VERSION = 3;

/**
 * A piece is the unit of hashing, storage and verification. 512 KiB keeps the
 * metadata of a 8 GiB file at 16k SHA-1 hashes (one ~700 KB upload_file frame)
 * while still letting a 20 MiB file spread over 40 pieces between several peers.
 * Part of a file's identity: changing it changes every file id.
 */
export const PIECE_SIZE = 512 * 1024;

/**
 * A block is what one data-channel message carries. Chromium caps a message at
 * 256 KiB; 64 KiB measured as fast as larger sizes here (docs/transfer-profile.md), and keeps
 * a lost or cancelled request cheap.
 */
export const BLOCK_SIZE = 64 * 1024;

/** Largest file a tracker accepts: bounds the upload_file frame (16384 hashes). */
export const MAX_FILE_BYTES = 8 * 1024 * 1024 * 1024;
export const MAX_PIECES = MAX_FILE_BYTES / PIECE_SIZE;

/** Pieces in one `have` request, at most (the client splits a longer report). */
export const MAX_HAVE_PIECES = 1024;

/**
 * A downloader reports its new pieces to the tracker at most this often
 * (the first and the completing report at once, client/swarm.ts): each
 * report costs the tracker a frame in, a reply and a push to everyone
 * watching the file, and the browser a WebSocket send and receive, where a
 * piece verifies every 40 ms at 12 MB/s. Linked peers hear of each piece at
 * once (have frames); a quarter second is well inside the time a newcomer
 * takes to dial.
 */
export const HAVE_REPORT_INTERVAL_MS = 250;
/**
 * Longest base64 bitfield accepted (announce, mesh presence): MAX_PIECES bits
 * in bytes, in base64 (4 characters per 3 bytes), plus a little for padding.
 */
export const MAX_BITFIELD_BASE64_LENGTH = Math.ceil(MAX_PIECES / 8 / 3) * 4 + 4;

/**
 * Largest WebSocket frame a tracker reads. The biggest legitimate message is
 * upload_file at MAX_PIECES hashes (16384 × 43 bytes ≈ 700 KB); anything
 * larger is abuse and closes the connection (ws answers 1009).
 */
export const MAX_FRAME_BYTES = 1024 * 1024;

/** Ids people type (user and group names): short, printable, no spaces. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
/** NAME_PATTERN's longest name, said to people when what they type is longer (never cut silently). */
export const MAX_NAME_LENGTH = 32;
/**
 * A tracker's name (`--tracker-id`, its ops' `origin`, NATS subject tokens):
 * only characters safe in a NATS subject and an op key `origin:seq`, and
 * short, since every op carries it.
 */
export const TRACKER_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/** An op's id, `origin:seq` (protocol/ops.ts `opId`): what an invite is named by, and the key of most users and groups. */
export const OP_ID_PATTERN = new RegExp(`^${TRACKER_ID_PATTERN.source.slice(1, -1)}:\\d{1,16}$`);
/**
 * A tracker's display name (`--name`), shown to people in the app's status and
 * tracker list. Free text, unlike the id: 64 characters fit a header at phone
 * width in its tracker list and cover any host name people use.
 */
export const MAX_TRACKER_NAME_LENGTH = 64;
export const MAX_PASSWORD_LENGTH = 256;
export const MIN_PASSWORD_LENGTH = 4;
export const MAX_FILE_NAME_LENGTH = 255;
/**
 * A batch (protocol/batch.ts: a folder or many files as one entry): at most
 * this many files. A dropped project or photo folder holds hundreds; a
 * thousand rows is as much as a person scrolls through, and with the paths
 * below the list stays a small part of one upload_file frame.
 */
export const MAX_BATCH_FILES = 1000;
/** One path in a batch (`folder/sub/name.ext`): deep trees fit; each segment is still a file name (MAX_FILE_NAME_LENGTH). */
export const MAX_BATCH_PATH_LENGTH = 1024;
/**
 * All paths of one batch together, in characters: with MAX_PIECES piece
 * hashes (~700 KB) the upload_file frame stays under MAX_FRAME_BYTES, so the
 * largest legitimate batch is never refused as an oversize frame.
 */
export const MAX_BATCH_PATHS_TOTAL = 200_000;

/** A WebRTC signal (offer/answer/candidate) is a few KB of SDP; 16 KiB is ample. */
export const MAX_SIGNAL_BYTES = 16 * 1024;

/**
 * Signals one `signals` frame may carry. A dial is an offer or answer and a
 * handful of ICE candidates, and a swarm dials a few peers at once; 32 batches
 * every burst we make while 32 × MAX_SIGNAL_BYTES (512 KiB) stays under
 * MAX_FRAME_BYTES, so a full batch of the largest signals is still one frame.
 * Each signal in it costs one token of the connection's rate bucket.
 */
export const MAX_SIGNALS_PER_FRAME = 32;

/** A new connection must say hello within this, or it is closed: no idle half-open sockets. */
export const HELLO_TIMEOUT_MS = 10_000;

/**
 * Message-rate limit per connection, a token bucket. A downloader announces
 * about 40 pieces/s at full speed and relays a burst of ICE candidates per
 * peer; 200/s sustained with a burst of 400 leaves room for that and stops a
 * flood long before it costs other users anything.
 */
export const RATE_PER_SECOND = 200;
export const RATE_BURST = 400;

/**
 * Bytes a tracker lets queue towards one slow client before it drops that
 * client: events must not pile up in memory without bound.
 */
export const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/**
 * Failed logins: per account and per address, in a sliding window. Slows
 * password guessing to a crawl while a person who mistypes twice is unaffected.
 */
export const LOGIN_FAILURES_PER_ACCOUNT = 5;
export const LOGIN_FAILURES_PER_ADDRESS = 20;
export const LOGIN_WINDOW_MS = 60_000;
/**
 * Per account, across every address: a token bucket of password checks that
 * only slows a distributed guesser (see LoginLimiter). 30 at once, then one
 * every 2 s: ~1,800 guesses an hour against one account from any number of
 * addresses, while the owner, from an address that logged in before, skips it.
 */
export const LOGIN_ACCOUNT_BURST = 30;
export const LOGIN_ACCOUNT_PER_SECOND = 0.5;
/** How long an address that logged into an account stays "known" to it (it skips the account ceiling). */
export const LOGIN_KNOWN_ADDRESS_MS = 30 * 24 * 3600 * 1000;
/**
 * Sign-ups per address, a token bucket: 20 at once (a family or a class
 * behind one NAT), then one a minute. Each costs a password hash and a
 * record every tracker keeps for good.
 */
export const SIGNUP_BURST = 20;
export const SIGNUPS_PER_MINUTE = 1;

/**
 * Password hashing (scrypt) runs in its own worker threads, never in libuv's
 * thread pool, which the op log's writes and fsyncs need. Jobs waiting for a
 * worker beyond this are refused as busy: at ~100 ms a hash (N=2^15) a full
 * queue is ~25 s of work for one worker, already longer than anyone waits.
 */
export const PASSWORD_QUEUE_MAX = 256;
/** Password requests (create_user, login) one connection may have in flight; an app has one at a time. */
export const PASSWORD_JOBS_PER_CONNECTION = 2;

/**
 * Sessions. Idle and absolute lifetimes are flags (these are the defaults),
 * stamped into each session_opened op so every tracker judges a session by
 * the same numbers. Renewal is an op (session_renewed), written at resume
 * only once the last renewal is older than idle / SESSION_RENEW_FRACTION, so
 * a session used daily costs one op every few days, not one per request.
 */
export const SESSION_IDLE_MS = 30 * 24 * 3600 * 1000;
export const SESSION_MAX_MS = 90 * 24 * 3600 * 1000;
export const SESSION_RENEW_FRACTION = 8;
/**
 * The session lifetimes a tracker may be configured with (--session-idle,
 * --session-max), and so what a session_opened op may carry: from a second
 * (tests) to 10,000 days (about 27 years, "never" for any deployment).
 */
export const SESSION_LIFETIME_MIN_MS = 1000;
export const SESSION_LIFETIME_MAX_MS = 10_000 * 24 * 3600_000;
/**
 * Live sessions per user (browsers, devices); opening one more ends the
 * oldest. Part of the fold, so a constant every tracker shares, not a flag.
 */
export const MAX_SESSIONS_PER_USER = 20;

/** Session tokens: 256 random bits. */
export const TOKEN_BYTES = 32;

/** Invite links admit without approval until they expire. */
export const INVITE_DEFAULT_TTL_MS = 7 * 24 * 3600 * 1000;
export const INVITE_MAX_TTL_MS = 30 * 24 * 3600 * 1000;
/** The shortest invite lifetime a tracker accepts: below a second it would expire before the link is shared. */
export const INVITE_MIN_TTL_MS = 1000;

// ---------------------------------------------------------------- peer wire and transfer (client/swarm.ts, client/picker.ts)

/**
 * Peer wire version: the first byte of every browser ⇄ browser frame. A peer
 * that receives another version closes the channel instead of guessing, and
 * says which version the other side spoke (client/peer-link.ts). Version 2
 * added the `requests` frame (several block requests in one message).
 */
export const WIRE_VERSION = 2;

/**
 * Block requests in one `requests` frame, at most: a full pipeline
 * (PIPELINE_MAX_BLOCKS) is the most an honest peer ever has outstanding.
 */
export const MAX_REQUESTS_PER_FRAME = 64;

/**
 * A downloader tops a link's pipeline up once it has room for this many
 * blocks (or half its depth, if that is less), all in one `requests` frame:
 * one message per piece's worth of blocks instead of one per 64 KiB block,
 * which cost both pages a message event and a send each
 * (docs/transfer-profile.md). 8 × 64 KiB is one piece; with a full pipeline
 * of 64 blocks the in-flight amount only dips to 56.
 */
export const REQUEST_BATCH_BLOCKS = 8;

/**
 * Open peer connections per file. Each WebRTC connection costs a browser a few
 * MB and some CPU, and two cores were measured saturated by one
 * or two channels, so more peers than this add nothing but overhead.
 */
export const MAX_PEERS_PER_FILE = 12;

/**
 * The first pieces a new downloader fetches are random, not rarest: it then
 * soon holds something to offer others (BitTorrent's "random first piece").
 */
export const INITIAL_RANDOM_PIECES = 4;

/**
 * A preview's player reading piece N has pieces N..N+this fetched first
 * (client/picker.ts priority window): 4 × 512 KiB = 2 MiB, several seconds
 * of most video and a minute of audio ahead of the playhead, few enough that
 * a seek elsewhere is not stuck behind them.
 */
export const PREVIEW_AHEAD_PIECES = 4;

/**
 * A peer's pipeline (blocks requested and not yet received) is sized so that
 * PIPELINE_TARGET_MS of its measured rate is always in flight: enough to hide
 * a round trip, few enough that a slow peer does not hoard blocks at the tail.
 * Bounded by MIN (before any rate is measured) and MAX (64 × 64 KiB = 4 MiB,
 * about 0.4 s at the 10 MB/s a channel reaches here).
 */
export const PIPELINE_TARGET_MS = 500;
export const PIPELINE_MIN_BLOCKS = 4;
export const PIPELINE_MAX_BLOCKS = 64;

/**
 * A block request not answered by then goes to another peer. Ten seconds is
 * many round trips even for a rate-capped peer with a full pipeline, yet short
 * enough that a stalled peer does not hold the tail of a download for long.
 */
export const REQUEST_TIMEOUT_MS = 10_000;

/** In endgame a block is asked of at most this many peers at once (then cancelled at the others). */
export const ENDGAME_MAX_DUPLICATES = 2;

/** Failed pieces a peer may contribute to before it is dropped for that file (issue 4: two strikes). */
export const MAX_STRIKES = 2;

/**
 * A peer connection that is not open and handshaken by then is given up (and
 * may be retried later); the browser's connector (web/src/platform/rtc.ts)
 * gives up its RTCPeerConnection at the same moment. Host candidates connect
 * in well under a second; 20 s leaves room for a loaded machine and a
 * relayed signal crossing two trackers.
 */
export const CONNECT_TIMEOUT_MS = 20_000;

/**
 * Serving a block waits while the channel has more than this queued
 * (bufferedAmount), so a slow receiver never makes us queue without bound.
 * 1 MiB is 16 blocks: enough to keep a 10 MB/s channel busy across a wake-up.
 */
export const SEND_HIGH_WATER_BYTES = 1024 * 1024;
/**
 * PeerChannel.drained() resolves once bufferedAmount is below this
 * (bufferedAmountLowThreshold in the browser). 256 KiB is four blocks: enough
 * still queued that the channel never idles while the sender wakes up and
 * reads the next block from IndexedDB.
 */
export const SEND_LOW_WATER_BYTES = 256 * 1024;

/**
 * Block requests a peer may have queued with us; more are rejected. Twice
 * PIPELINE_MAX_BLOCKS, so an honest peer never meets it.
 */
export const MAX_QUEUED_REQUESTS = 2 * PIPELINE_MAX_BLOCKS;

/**
 * Liveness. A tracker that vanishes without closing its sockets (a host
 * powered off, a network that drops packets) is only noticed by asking:
 * a client that has heard nothing from its tracker for CLIENT_IDLE_PING_MS
 * sends a ping, and moves to another tracker if nothing at all comes back
 * within CLIENT_PING_TIMEOUT_MS. Worst case about 20 s; an active client
 * hears events and replies all the time and never pings.
 */
export const CLIENT_IDLE_PING_MS = 15_000;
export const CLIENT_PING_TIMEOUT_MS = 5_000;
/**
 * An active client cannot wait that long: a request unanswered for
 * CLIENT_REQUEST_PING_MS, with nothing else heard meanwhile, sends a ping,
 * and if that gets nothing back within CLIENT_BUSY_PING_TIMEOUT_MS the client
 * moves on and re-sends what is in flight, about 5 s after the request, well
 * inside its 15 s request timeout. A tracker answers a ping at once, before
 * any queued work (even a slow password hash), so 2 s of silence on a live
 * connection means it is gone; a slow request on a live tracker only costs a
 * ping every 3 s.
 */
export const CLIENT_REQUEST_PING_MS = 3_000;
export const CLIENT_BUSY_PING_TIMEOUT_MS = 2_000;

/**
 * The tracker pings every connection this often (WebSocket ping frames, which
 * browsers answer on their own) and ends one that has answered nothing since
 * the previous round, so a vanished browser's presence goes within a minute.
 */
export const SERVER_HEARTBEAT_MS = 30_000;

// ---------------------------------------------------------------- hostile input (issue 8: items 2, 11)

/**
 * How deeply a signal's `data` (the one free-form field a client or tracker
 * relays) may nest arrays and objects. An offer, answer or ICE candidate in
 * its envelope nests two or three levels; 32 leaves room for any wrapper and
 * is far below the ~3,000 levels where JSON.stringify runs out of stack (a
 * 20 KB frame of 5,000 brackets used to kill the process).
 */
export const MAX_SIGNAL_DEPTH = 32;

/** Longest error message a tracker echoes back: a hostile frame's many bad keys must not make a megabyte reply. */
export const MAX_ERROR_MESSAGE_LENGTH = 200;

/**
 * A connection that said hello but has not logged in or resumed by then is
 * closed (CloseCode.LoginTimeout). A person on the sign-in page is
 * reconnected at once and transparently by the client; an idle attacker's
 * socket stops holding a file descriptor for good.
 */
export const UNAUTHENTICATED_TIMEOUT_MS = 60_000;

/**
 * How far ahead of a tracker's own wall clock another tracker's op may be
 * stamped and still be taken in. Hosts kept by NTP agree within milliseconds;
 * five minutes tolerates a VM whose clock drifted for days. Without a bound,
 * one op stamped a year ahead (a skewed host, a forged message) drags every
 * tracker's hybrid clock a year forward for good, and every invite then looks
 * expired. An op further ahead is refused as if it never came: the sender's
 * later ops wait behind it, and catch-up brings it again until this tracker's
 * clock has come within the bound of it, so nothing is lost, only delayed.
 */
export const MAX_REMOTE_CLOCK_AHEAD_MS = 5 * 60 * 1000;

/**
 * A client whose ice_servers refresh failed (no tracker reachable at that
 * moment) tries again this soon: the TURN credential still has half its life
 * (the refresh comes at half of it), so a few tries fit well before it expires.
 */
export const ICE_REFRESH_RETRY_MS = 30_000;

/**
 * What a client may say about one peer connection it dialled
 * (`connection_outcome`): the selected ICE candidate pair was direct (host or
 * server-reflexive on both ends), went through a TURN relay, or no pair
 * worked. Nothing else, so the report tells the tracker nothing about who or where.
 */
export const CONNECTION_OUTCOMES = ['direct', 'relayed', 'failed'] as const;

/**
 * Per session, `connection_outcome` reports are a token bucket: this many at
 * once, refilled at OUTCOMES_PER_MINUTE. A client reports once per link it
 * dials, and a failed holder once per swarm (client/outcome-reporter.ts), so
 * starting a few downloads of MAX_PEERS_PER_FILE peers each fits in the
 * burst; past it, a client that lies can add at most one count every two
 * seconds per session it holds (sessions are capped per user, and each costs
 * a log-in), too few to move an operator's reading of the counters.
 */
export const OUTCOME_BURST = 64;
export const OUTCOMES_PER_MINUTE = 30;
