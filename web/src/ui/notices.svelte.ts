/**
 * Notifications: a join request arrived, a request was answered, something
 * failed. Each has plain words and, where it helps, a place to go. Errors
 * stay until dismissed; news fades after a while.
 */
export type NoticeKind = 'info' | 'success' | 'error';

export interface Notice {
  id: number;
  kind: NoticeKind;
  text: string;
  /** An app path to open (e.g. the group a request is for). */
  href?: string;
  /** The label of that link. */
  action?: string;
}

/** Long enough to read two lines; errors never fade on their own. */
const FADE_MS = 8000;
/** Older notices give way: a flood of events must not fill the screen. */
const MAX_NOTICES = 5;

export class NoticesState {
  #items = $state<Notice[]>([]);
  #nextId = 1;
  #timers = new Map<number, ReturnType<typeof setTimeout>>();
  #fadeMs: number;

  constructor(fadeMs = FADE_MS) {
    this.#fadeMs = fadeMs;
  }

  get items(): readonly Notice[] {
    return this.#items;
  }

  push(kind: NoticeKind, text: string, link?: { href: string; action: string }): number {
    const id = this.#nextId++;
    const notice: Notice = { id, kind, text, ...(link ? { href: link.href, action: link.action } : {}) };
    // The same words twice in a row (a retry, a repeated event) show once.
    this.#items = [...this.#items.filter((n) => n.text !== text), notice];
    while (this.#items.length > MAX_NOTICES) this.dismiss(this.#items[0]!.id);
    if (kind !== 'error' && this.#fadeMs > 0) {
      this.#timers.set(id, setTimeout(() => this.dismiss(id), this.#fadeMs));
    }
    return id;
  }

  dismiss(id: number): void {
    const timer = this.#timers.get(id);
    if (timer !== undefined) clearTimeout(timer);
    this.#timers.delete(id);
    this.#items = this.#items.filter((n) => n.id !== id);
  }

  /** Retires the notice with these words, if it is showing (its question was answered elsewhere). */
  dismissText(text: string): void {
    for (const n of this.#items) if (n.text === text) this.dismiss(n.id);
  }

  reset(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#items = [];
  }
}
