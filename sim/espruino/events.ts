/**
 * Event listeners on Espruino's built-in objects (`E.on`, `NRF.on`): `on(event, fn)` adds, `removeListener`
 * and `removeAllListeners` remove. Listeners live in RAM, so a reset forgets them.
 */

/** Listeners of one built-in object. */
export class EventListeners {
  private readonly byEvent = new Map<string, Function[]>();

  /** Adds the JS methods on/removeListener/removeAllListeners to `target`. */
  install(target: Record<string, unknown>, onAdd?: (event: string) => void): void {
    target.on = (event: unknown, listener: unknown) => {
      if (typeof listener !== "function") return;
      const name = String(event);
      const list = this.byEvent.get(name) ?? [];
      list.push(listener);
      this.byEvent.set(name, list);
      onAdd?.(name);
    };
    target.removeListener = (event: unknown, listener: unknown) => {
      const list = this.byEvent.get(String(event));
      const index = list ? list.indexOf(listener as Function) : -1;
      if (list && index >= 0) list.splice(index, 1);
    };
    target.removeAllListeners = (event?: unknown) => {
      if (event === undefined) this.byEvent.clear();
      else this.byEvent.delete(String(event));
    };
  }

  /** The listeners of an event, in the order they were added. */
  of(event: string): readonly Function[] {
    return this.byEvent.get(event) ?? [];
  }

  /** Every listener (for memory accounting). */
  all(): Function[] {
    return [...this.byEvent.values()].flat();
  }

  /** Forgets everything (reset). */
  clear(): void {
    this.byEvent.clear();
  }
}
