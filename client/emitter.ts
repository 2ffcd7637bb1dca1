/** A small typed event emitter: runtime-neutral (no Node `events`, no DOM `EventTarget`). */
export class Emitter<Events extends Record<string, unknown>> {
  #listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  on<K extends keyof Events>(name: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set!.delete(listener as (payload: never) => void);
  }

  emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    for (const listener of this.#listeners.get(name) ?? []) {
      try {
        (listener as (payload: Events[K]) => void)(payload);
      } catch (err) {
        // One bad listener must not stop the others, nor the connection that emits.
        console.error(`listener for ${String(name)} failed:`, err);
      }
    }
  }

  removeAll(): void {
    this.#listeners.clear();
  }
}
