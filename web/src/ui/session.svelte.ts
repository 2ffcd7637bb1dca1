/**
 * Who is signed in. The session token lives in localStorage so the session
 * survives a reload; the tracker keeps only its hash, and logout revokes it.
 */

/** The slice of the Web Storage API we use (localStorage in the app; a Map in tests). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface StoredSession {
  userId: string;
  token: string;
}

const KEY = 'meshdrop.session';

export class SessionState {
  #storage: KeyValueStorage | undefined;
  #userId = $state<string | undefined>(undefined);
  /** True while a stored session is being resumed at start-up: the app shows neither the sign-in form nor the groups yet. */
  #restoring = $state(false);

  constructor(storage: KeyValueStorage | undefined) {
    this.#storage = storage;
  }

  get userId(): string | undefined {
    return this.#userId;
  }
  get signedIn(): boolean {
    return this.#userId !== undefined;
  }
  get restoring(): boolean {
    return this.#restoring;
  }

  /** The session saved by an earlier visit, if any and well-formed. */
  stored(): StoredSession | undefined {
    let raw: string | null = null;
    try {
      raw = this.#storage?.getItem(KEY) ?? null;
    } catch {
      return undefined; // storage disabled: sessions just do not survive reloads
    }
    if (!raw) return undefined;
    try {
      const value = JSON.parse(raw) as Partial<StoredSession>;
      if (typeof value.userId === 'string' && typeof value.token === 'string') return { userId: value.userId, token: value.token };
    } catch {
      /* corrupt entry: treat as none */
    }
    return undefined;
  }

  setRestoring(restoring: boolean): void {
    this.#restoring = restoring;
  }

  signedInAs(userId: string, token: string | undefined): void {
    this.#userId = userId;
    this.#restoring = false;
    if (token === undefined) return;
    try {
      this.#storage?.setItem(KEY, JSON.stringify({ userId, token } satisfies StoredSession));
    } catch {
      /* storage full or disabled: the session lasts as long as the tab */
    }
  }

  /** Signed out, by choice or because the tracker revoked the session. */
  reset(): void {
    this.#userId = undefined;
    this.#restoring = false;
    try {
      this.#storage?.removeItem(KEY);
    } catch {
      /* nothing stored */
    }
  }
}
