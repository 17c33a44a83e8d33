/// A dictionary of at most `capacity` entries that forgets the least recently used one to make
/// room: the defences' tables are fed by clients, and an attacker with many addresses or user
/// names must not grow them without bound. O(1) per operation (a doubly linked list threaded
/// through arrays, slots reused). Not thread-safe: its owner holds a lock.
public struct LRUTable<Key: Hashable, Value> {
    private struct Slot {
        var key: Key
        var value: Value
        var newer: Int?
        var older: Int?
    }

    public let capacity: Int
    private var index: [Key: Int] = [:]
    private var slots: [Slot] = []
    private var free: [Int] = []
    private var newest: Int?
    private var oldest: Int?

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public var count: Int { index.count }

    /// The value, made the most recently used.
    public mutating func value(for key: Key) -> Value? {
        guard let slot = index[key] else { return nil }
        touch(slot)
        return slots[slot].value
    }

    /// The value without changing the order.
    public func peek(_ key: Key) -> Value? {
        index[key].map { slots[$0].value }
    }

    /// Stores `value` as the most recently used; returns the key evicted to make room, if any.
    @discardableResult
    public mutating func set(_ value: Value, for key: Key) -> Key? {
        if let slot = index[key] {
            slots[slot].value = value
            touch(slot)
            return nil
        }
        var evicted: Key?
        if index.count >= capacity, let last = oldest {
            evicted = slots[last].key
            remove(slotAt: last)
        }
        let new = Slot(key: key, value: value, newer: nil, older: newest)
        let slot: Int
        if let reused = free.popLast() {
            slots[reused] = new
            slot = reused
        } else {
            slots.append(new)
            slot = slots.count - 1
        }
        if let head = newest { slots[head].newer = slot }
        newest = slot
        if oldest == nil { oldest = slot }
        index[key] = slot
        return evicted
    }

    @discardableResult
    public mutating func removeValue(for key: Key) -> Value? {
        guard let slot = index[key] else { return nil }
        let value = slots[slot].value
        remove(slotAt: slot)
        return value
    }

    public mutating func removeAll() {
        index = [:]
        slots = []
        free = []
        newest = nil
        oldest = nil
    }

    private mutating func unlink(_ slot: Int) {
        let (newer, older) = (slots[slot].newer, slots[slot].older)
        if let newer { slots[newer].older = older } else { newest = older }
        if let older { slots[older].newer = newer } else { oldest = newer }
        slots[slot].newer = nil
        slots[slot].older = nil
    }

    private mutating func touch(_ slot: Int) {
        guard newest != slot else { return }
        unlink(slot)
        slots[slot].older = newest
        if let head = newest { slots[head].newer = slot }
        newest = slot
        if oldest == nil { oldest = slot }
    }

    private mutating func remove(slotAt slot: Int) {
        unlink(slot)
        index[slots[slot].key] = nil
        free.append(slot)
    }
}
