// Polling reads a page from SAP, then waits while the hub imports it; SAP's answer for the next page
// (its serialisation, the transfer, the parse here) then adds to every page's time. Reading the next page
// while the current one is imported hides most of that.

/** Pages of a poll read one ahead: the next page is on its way while the hub imports the current one. */
export class ReadAhead<Page> {
  #next: { cursor: string | null; page: Promise<Page | null>; at: number } | null = null;

  constructor(
    private readonly read: (cursor: string | null) => Promise<Page>,
    /** A page read longer ago than this is read again (the poll that wanted it may have been retried much later). */
    private readonly maxAgeMs = 30_000,
  ) {}

  /** The page after `cursor`: the one read ahead for this cursor if there is one, else read now. */
  async page(cursor: string | null): Promise<Page> {
    const ahead = this.#next;
    this.#next = null;
    if (ahead && ahead.cursor === cursor && Date.now() - ahead.at <= this.maxAgeMs) {
      const page = await ahead.page;
      if (page) return page;
    }
    return this.read(cursor);
  }

  /**
   * Starts reading the page after `cursor`. The next poll gets it only if it asks for the same cursor
   * (the previous page was recorded); a failed read is not reported here: the next poll reads again and
   * sees the error itself. Nothing changes for what is imported: an order changed in SAP after the read
   * gets a later change date, past this page, and is read again by a later poll, as without read-ahead.
   */
  readNext(cursor: string): void {
    this.#next = { cursor, page: this.read(cursor).catch(() => null), at: Date.now() };
  }

  /** Forgets a page read ahead (settings changed, connector stopped). */
  clear(): void {
    this.#next = null;
  }
}
