/// ResultCache's map and recency list, only touched under its lock. The list is kept in arrays
/// (node indices, a free list) so a hit, a store and an eviction are O(1) without a class per
/// entry.
struct ResultCacheState<Value: Sendable> {
    private struct Node {
        var key: ResultCacheKey
        var answer: ResultCacheAnswer<Value>?
        var storedAt: Duration
        var lastLoginSucceeded: Bool?
        var previous: Int
        var next: Int
    }

    var settings: CacheSettings
    private var index: [ResultCacheKey: Int] = [:]
    private var nodes: [Node] = []
    private var free: [Int] = []
    /// Most recently used; -1 when empty.
    private var head = -1
    /// Least recently used; -1 when empty.
    private var tail = -1

    init(settings: CacheSettings) { self.settings = settings }

    var count: Int { index.count }

    mutating func lookup(_ key: ResultCacheKey, now: Duration) -> ResultCacheLookup<Value> {
        guard let slot = index[key], let answer = nodes[slot].answer else { return .miss }
        let node = nodes[slot]
        let lifetime: Duration
        switch answer {
        case .unknownUser: lifetime = settings.negativeTTL
        case .found: lifetime = node.lastLoginSucceeded == false ? min(settings.negativeTTL, settings.ttl) : settings.ttl
        }
        if now - node.storedAt < lifetime {
            moveToHead(slot)
            return .fresh(answer, lastLoginSucceeded: node.lastLoginSucceeded)
        }
        guard settings.staleIfError else {
            _ = remove(key)
            return .miss
        }
        return .stale(answer)
    }

    mutating func store(_ key: ResultCacheKey, _ value: Value?, now: Duration) {
        _ = remove(key)
        guard settings.size > 0 else { return }
        if value == nil && settings.negativeTTL <= .zero { return }
        while index.count >= settings.size, tail >= 0 { _ = remove(nodes[tail].key) }
        let node = Node(
            key: key, answer: value.map { .found($0) } ?? .unknownUser, storedAt: now, lastLoginSucceeded: nil, previous: -1,
            next: head)
        let slot: Int
        if let reused = free.popLast() {
            nodes[reused] = node
            slot = reused
        } else {
            nodes.append(node)
            slot = nodes.count - 1
        }
        if head >= 0 { nodes[head].previous = slot }
        head = slot
        if tail < 0 { tail = slot }
        index[key] = slot
    }

    mutating func recordLogin(_ key: ResultCacheKey, succeeded: Bool) {
        guard let slot = index[key] else { return }
        nodes[slot].lastLoginSucceeded = succeeded
    }

    /// Unlinks the entry and lets its value go (the last reference wipes its secrets).
    mutating func remove(_ key: ResultCacheKey) -> Bool {
        guard let slot = index.removeValue(forKey: key) else { return false }
        unlink(slot)
        nodes[slot].answer = nil
        nodes[slot].key = ResultCacheKey(service: "", step: 0, user: [])
        free.append(slot)
        return true
    }

    mutating func flush(service: String?, user: [UInt8]?) -> Int {
        if service == nil && user == nil {
            let dropped = index.count
            index.removeAll()
            nodes.removeAll()
            free.removeAll()
            head = -1
            tail = -1
            return dropped
        }
        let matching = index.keys.filter { key in
            (service == nil || key.service == service) && (user == nil || key.user == user)
        }
        for key in matching { _ = remove(key) }
        return matching.count
    }

    private mutating func unlink(_ slot: Int) {
        let previous = nodes[slot].previous
        let next = nodes[slot].next
        if previous >= 0 { nodes[previous].next = next } else { head = next }
        if next >= 0 { nodes[next].previous = previous } else { tail = previous }
        nodes[slot].previous = -1
        nodes[slot].next = -1
    }

    private mutating func moveToHead(_ slot: Int) {
        guard head != slot else { return }
        unlink(slot)
        nodes[slot].next = head
        if head >= 0 { nodes[head].previous = slot }
        head = slot
        if tail < 0 { tail = slot }
    }
}
