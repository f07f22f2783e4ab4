import Foundation

/// Groups met while scanning rows, found by their key's bytes (`StepRow.appendKey`): a report's rows
/// are added up in Swift in the order the store reads them, without a sort per statement.
///
/// A key is a run of parts, one per grouping column: a tag byte (0 NULL, 1 integer, 2 text), then
/// the integer's eight bytes or the text's length and bytes. Two keys are the same group exactly when
/// SQLite's `GROUP BY` puts them together (texts compare byte for byte, as its BINARY collation does,
/// where Swift's `String` equality would merge canonically equivalent texts).
struct GroupTable {
    /// Every group's key, one after the other; group i's is `bytes[starts[i]..<starts[i + 1]]`.
    private var bytes: [UInt8] = []
    private var starts: [Int] = [0]
    /// Open addressing with linear probing: a group's index + 1, or 0 for an empty slot.
    private var slots = [Int32](repeating: 0, count: 64)

    var count: Int { starts.count - 1 }

    /// The index of the group whose key is `key`, added when new.
    mutating func index(of key: [UInt8]) -> Int {
        let mask = slots.count - 1
        let found: Int? = key.withUnsafeBufferPointer { probe in
            var slot = GroupTable.hash(probe) & mask
            return bytes.withUnsafeBufferPointer { held in
                while slots[slot] != 0 {
                    let group = Int(slots[slot]) - 1
                    let start = starts[group], length = starts[group + 1] - start
                    if length == probe.count, length == 0 || memcmp(held.baseAddress! + start, probe.baseAddress!, length) == 0 { return group }
                    slot = (slot + 1) & mask
                }
                slots[slot] = Int32(count + 1)
                return nil
            }
        }
        if let found { return found }
        bytes.append(contentsOf: key)
        starts.append(bytes.count)
        if 2 * count > slots.count { grow() }
        return count - 1
    }

    /// A key's hash: its bytes eight at a time, multiplied and folded (keys are a few dozen bytes; a
    /// collision costs only a comparison). Not seeded: the groups' indices follow the order they were
    /// met in, never the hash.
    private static func hash(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(key.count)
        var i = 0
        let raw = UnsafeRawBufferPointer(key)
        while i + 8 <= key.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            i += 8
        }
        var tail: UInt64 = 0
        while i < key.count {
            tail = tail << 8 | UInt64(key[i])
            i += 1
        }
        h = (h ^ tail) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 31
        return Int(truncatingIfNeeded: h)
    }

    private mutating func grow() {
        var larger = [Int32](repeating: 0, count: slots.count * 2)
        let mask = larger.count - 1
        bytes.withUnsafeBufferPointer { held in
            for group in 0..<count {
                var slot = GroupTable.hash(UnsafeBufferPointer(rebasing: held[starts[group]..<starts[group + 1]])) & mask
                while larger[slot] != 0 { slot = (slot + 1) & mask }
                larger[slot] = Int32(group + 1)
            }
        }
        slots = larger
    }

    /// The groups' indices in the order SQLite's `GROUP BY` returns them: part by part, NULL first,
    /// then integers by value, then texts byte for byte (a shorter text before the longer one it begins).
    func sortedIndices() -> [Int] {
        (0..<count).sorted { a, b in
            bytes.withUnsafeBufferPointer { GroupTable.precedes(UnsafeBufferPointer(rebasing: $0[starts[a]..<starts[a + 1]]),
                                                                UnsafeBufferPointer(rebasing: $0[starts[b]..<starts[b + 1]])) }
        }
    }

    /// Group `index`'s key as the stores' grouping values (nil for NULL).
    func key(_ index: Int) -> [GroupValue?] {
        var values: [GroupValue?] = []
        var i = starts[index]
        let end = starts[index + 1]
        while i < end {
            switch bytes[i] {
            case 0:
                values.append(nil)
                i += 1
            case 1:
                values.append(.integer(Int64(bitPattern: GroupTable.number(bytes, at: i + 1, width: 8))))
                i += 9
            default:
                let length = Int(GroupTable.number(bytes, at: i + 1, width: 4))
                values.append(.text(String(decoding: bytes[(i + 5)..<(i + 5 + length)], as: UTF8.self)))
                i += 5 + length
            }
        }
        return values
    }

    private static func number<C: Collection<UInt8>>(_ bytes: C, at offset: C.Index, width: Int) -> UInt64 where C.Index == Int {
        (0..<width).reduce(0) { $0 << 8 | UInt64(bytes[offset + $1]) }
    }

    private static func precedes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0, j = 0
        while i < a.count, j < b.count {
            let (tagA, tagB) = (a[i], b[j])
            if tagA != tagB { return tagA < tagB }
            switch tagA {
            case 0:
                i += 1
                j += 1
            case 1:
                let x = Int64(bitPattern: number(a, at: i + 1, width: 8)), y = Int64(bitPattern: number(b, at: j + 1, width: 8))
                if x != y { return x < y }
                i += 9
                j += 9
            default:
                let m = Int(number(a, at: i + 1, width: 4)), n = Int(number(b, at: j + 1, width: 4))
                let x = UnsafeBufferPointer(rebasing: a[(i + 5)..<(i + 5 + m)]), y = UnsafeBufferPointer(rebasing: b[(j + 5)..<(j + 5 + n)])
                if !x.elementsEqual(y) { return x.lexicographicallyPrecedes(y) }
                i += 5 + m
                j += 5 + n
            }
        }
        return false
    }
}
