/**
 * The first `limit` items of a stream in a given order, in memory bounded by `limit` whatever the
 * stream's length: a heap whose top is the worst item kept, replaced when a better one comes.
 */
export class BoundedTop<T> {
  private readonly heap: T[] = []

  /** `order` < 0 when a comes before b. */
  constructor (private readonly limit: number, private readonly order: (a: T, b: T) => number) {}

  add (item: T): void {
    if (this.limit === 0) return
    if (this.heap.length < this.limit) {
      this.heap.push(item)
      this.siftUp(this.heap.length - 1)
    } else if (this.order(item, this.heap[0] as T) < 0) {
      this.heap[0] = item
      this.siftDown(0)
    }
  }

  /** The items kept, in order. */
  sorted (): T[] {
    return [...this.heap].sort(this.order)
  }

  // The heap keeps the item that comes last on top.
  private later (i: number, j: number): boolean {
    return this.order(this.heap[i] as T, this.heap[j] as T) > 0
  }

  private swap (i: number, j: number): void {
    [this.heap[i], this.heap[j]] = [this.heap[j] as T, this.heap[i] as T]
  }

  private siftUp (i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.later(i, parent)) return
      this.swap(i, parent)
      i = parent
    }
  }

  private siftDown (i: number): void {
    for (;;) {
      const left = 2 * i + 1
      let top = i
      if (left < this.heap.length && this.later(left, top)) top = left
      if (left + 1 < this.heap.length && this.later(left + 1, top)) top = left + 1
      if (top === i) return
      this.swap(i, top)
      i = top
    }
  }
}
