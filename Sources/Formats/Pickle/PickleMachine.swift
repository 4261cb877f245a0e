// A restricted unpickler: the binary opcodes of pickle protocols 1–5 that data (not code) needs,
// over an in-memory byte array. One loop, no recursion: values live in a `PickleArena` whose budget
// the pickle's size sets, so neither depth nor memo tricks can exhaust the stack or memory. It imports nothing and calls nothing: GLOBAL only names a callable,
// the hooks check the name against an allow-list at once (anything else is an error naming it),
// and REDUCE/NEWOBJ/BINPERSID hand names and arguments to the hooks, which build plain values.
// Opcode reference: CPython Lib/pickletools.py (names and argument encodings).

/// What the caller allows: which globals exist, what calling them builds, what persistent ids mean.
protocol PickleHooks {
    /// True if `module.name` may appear in a GLOBAL / STACK_GLOBAL.
    func allows(module: String, name: String) -> Bool
    /// The value built by calling allow-listed `module.name` with `args` (REDUCE, NEWOBJ).
    func call(module: String, name: String, args: [PickleRef], arena: inout PickleArena) throws -> PickleRef
    /// The value for a persistent id (BINPERSID).
    func persistentLoad(_ id: PickleRef, arena: inout PickleArena) throws -> PickleRef
}

/// A hook's refusal; the machine adds file, entry and offset.
struct PickleFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Runs one pickle (up to STOP) from `bytes[start...]`.
struct PickleMachine {
    let bytes: [UInt8]
    let file: String
    let object: String
    private(set) var position: Int
    private var stack: [PickleRef] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleRef] = [:]
    /// Every value built so far (the result's values after `run`).
    private(set) var arena: PickleArena

    init(bytes: [UInt8], start: Int = 0, file: String, object: String) {
        self.bytes = bytes
        self.position = start
        self.file = file
        self.object = object
        self.arena = PickleArena(budget: PickleArena.budget(forPickleBytes: bytes.count - start))
    }

    /// Thrown when the pickle runs past the end of `bytes`: `needed` is the absolute offset the
    /// machine must be able to read up to (the caller may retry with more bytes, or report truncation).
    struct OutOfBytes: Error {
        var needed: Int
    }

    private func fail(_ message: String, at offset: Int) -> FormatError {
        FormatError(file: file, object: "\(object)@\(offset)", message)
    }

    // MARK: reading arguments

    private mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - position else { throw OutOfBytes(needed: position + max(n, 1)) }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    private mutating func uint(_ n: Int) throws -> UInt64 {
        guard n <= bytes.count - position else { throw OutOfBytes(needed: position + n) }
        let v: UInt64 = littleEndianInteger(bytes, at: position, count: n)
        position += n
        return v
    }

    /// A length argument, checked against what is left so a hostile length cannot allocate.
    private mutating func length(_ n: Int, at offset: Int) throws -> Int {
        let v = try uint(n)
        guard v <= UInt64(bytes.count - position) else {
            guard v < UInt64(Int.max / 2) else { throw fail("absurd length \(v)", at: offset) }
            throw OutOfBytes(needed: position + Int(v))
        }
        return Int(v)
    }

    private mutating func line(at offset: Int) throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw OutOfBytes(needed: bytes.count + 1) }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }

    // MARK: stack helpers

    private mutating func pop(at offset: Int) throws -> PickleRef {
        guard let value = stack.popLast(), stack.count >= (marks.last ?? 0) else {
            throw fail("stack underflow", at: offset)
        }
        return value
    }

    private mutating func popMark(at offset: Int) throws -> [PickleRef] {
        guard let mark = marks.popLast() else { throw fail("no MARK on the stack", at: offset) }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func top(at offset: Int) throws -> PickleRef {
        guard let value = stack.last, stack.count > (marks.last ?? 0) else { throw fail("stack underflow", at: offset) }
        return value
    }

    private static func normalised(_ module: String) -> String {
        switch module {
        case "__builtin__": "builtins"
        case "copy_reg": "copyreg"
        default: module
        }
    }

    private static func signedInteger(_ le: ArraySlice<UInt8>) -> PickleValue {
        if le.isEmpty { return .int(0) }
        if le.count <= 8 {
            var v: UInt64 = 0
            for (i, b) in le.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
            let shift = UInt64(64 - 8 * le.count)
            return .int(Int(Int64(bitPattern: v << shift) >> Int64(shift)))
        }
        return .bigInt(Array(le))
    }

    // MARK: the loop

    /// Runs until STOP and returns the top of the stack (a value in `arena`); `position` is then
    /// just past STOP.
    /// - Throws: `FormatError` (bad or disallowed input, or over the arena's budget) or `OutOfBytes`.
    mutating func run(hooks: some PickleHooks) throws -> PickleRef {
        do {
            return try loop(hooks: hooks)
        } catch let over as PickleArena.OverBudget {
            throw fail("the pickle builds more than \(over.limit) values and items (\(PickleArena.budget(forPickleBytes: 0) >> 20) M plus \(PickleArena.cellsPerByte) per pickle byte): references multiplied by repeated calls, a hostile or corrupt file", at: position)
        }
    }

    private mutating func push(_ value: PickleValue) throws { stack.append(try arena.add(value)) }

    private func value(_ ref: PickleRef) -> PickleValue { arena[ref] }

    private mutating func loop(hooks: some PickleHooks) throws -> PickleRef {
        while true {
            let offset = position
            guard position < bytes.count else { throw OutOfBytes(needed: position + 1) }
            let op = bytes[position]
            position += 1
            switch op {
            case 0x80: // PROTO
                let version = try uint(1)
                guard version <= 5 else { throw fail("pickle protocol \(version) is newer than 5", at: offset) }
            case 0x95: // FRAME (framing is transparent here)
                _ = try uint(8)
            case 0x2E: // STOP
                let result = try pop(at: offset)
                return result
            case 0x28: marks.append(stack.count)                                     // MARK
            case 0x30: _ = try pop(at: offset)                                       // POP
            case 0x31: _ = try popMark(at: offset)                                   // POP_MARK
            case 0x32: try arena.charge(1); stack.append(try top(at: offset))        // DUP
            case 0x71: memo[Int(try uint(1))] = try top(at: offset)                  // BINPUT
            case 0x72: memo[Int(try uint(4))] = try top(at: offset)                  // LONG_BINPUT
            case 0x94: memo[memo.count] = try top(at: offset)                        // MEMOIZE
            case 0x70: // PUT (text)
                guard let i = Int(try line(at: offset)) else { throw fail("bad PUT index", at: offset) }
                memo[i] = try top(at: offset)
            case 0x68, 0x6A, 0x67: // BINGET, LONG_BINGET, GET
                let index: Int
                if op == 0x67 {
                    guard let i = Int(try line(at: offset)) else { throw fail("bad GET index", at: offset) }
                    index = i
                } else {
                    index = Int(try uint(op == 0x68 ? 1 : 4))
                }
                guard let ref = memo[index] else { throw fail("memo entry \(index) is not defined", at: offset) }
                try arena.charge(1) // the stack grows too
                stack.append(ref)
            case 0x4E: try push(.none)                                           // NONE
            case 0x88: try push(.bool(true))                                     // NEWTRUE
            case 0x89: try push(.bool(false))                                    // NEWFALSE
            case 0x4A: try push(.int(Int(Int32(bitPattern: UInt32(try uint(4)))))) // BININT
            case 0x4B: try push(.int(Int(try uint(1))))                          // BININT1
            case 0x4D: try push(.int(Int(try uint(2))))                          // BININT2
            case 0x8A: try push(PickleMachine.signedInteger(try take(Int(try uint(1)))))         // LONG1
            case 0x8B: try push(PickleMachine.signedInteger(try take(try length(4, at: offset)))) // LONG4
            case 0x47: // BINFLOAT: big-endian IEEE double
                var v: UInt64 = 0
                for b in try take(8) { v = v << 8 | UInt64(b) }
                try push(.float(Double(bitPattern: v)))
            case 0x58, 0x8C, 0x8D, 0x55, 0x54: // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8, SHORT_BINSTRING, BINSTRING
                let width = [0x58: 4, 0x8C: 1, 0x8D: 8, 0x55: 1, 0x54: 4][op]!
                let n = try length(width, at: offset)
                try push(.string(String(decoding: try take(n), as: UTF8.self)))
            case 0x42, 0x43, 0x8E, 0x96: // BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
                let width = [0x42: 4, 0x43: 1, 0x8E: 8, 0x96: 8][op]!
                let n = try length(width, at: offset)
                try push(.bytes(Array(try take(n))))
            case 0x29: try push(.tuple([]))                                      // EMPTY_TUPLE
            case 0x74: // TUPLE
                let items = try popMark(at: offset)
                try push(.tuple(items))
            case 0x85, 0x86, 0x87: // TUPLE1..3
                let n = Int(op - 0x84)
                guard stack.count - n >= (marks.last ?? 0) else { throw fail("stack underflow", at: offset) }
                let items = Array(stack.suffix(n))
                stack.removeLast(n)
                try push(.tuple(items))
            case 0x5D: stack.append(try arena.newList())                             // EMPTY_LIST
            case 0x6C, 0x91: // LIST, FROZENSET
                let items = try popMark(at: offset)
                stack.append(try arena.newList(items))
            case 0x8F: stack.append(try arena.newList())                             // EMPTY_SET
            case 0x61: // APPEND
                let item = try pop(at: offset)
                guard case .list(let list) = value(try top(at: offset)) else { throw fail("APPEND to a \(value(try top(at: offset)).kind)", at: offset) }
                try arena.append(CollectionOfOne(item), toList: list)
            case 0x65, 0x90: // APPENDS, ADDITEMS
                let items = try popMark(at: offset)
                guard case .list(let list) = value(try top(at: offset)) else { throw fail("APPENDS to a \(value(try top(at: offset)).kind)", at: offset) }
                try arena.append(items, toList: list)
            case 0x7D: stack.append(try arena.newDict())                             // EMPTY_DICT
            case 0x64: // DICT
                let items = try popMark(at: offset)
                guard items.count % 2 == 0 else { throw fail("DICT with an odd number of items", at: offset) }
                let dict = try arena.newDict()
                guard case .dict(let id) = value(dict) else { preconditionFailure("newDict made a \(value(dict).kind)") }
                for i in stride(from: 0, to: items.count, by: 2) { try arena.set(items[i], items[i + 1], inDict: id) }
                stack.append(dict)
            case 0x73: // SETITEM
                let item = try pop(at: offset), key = try pop(at: offset)
                guard case .dict(let dict) = value(try top(at: offset)) else { throw fail("SETITEM on a \(value(try top(at: offset)).kind)", at: offset) }
                try arena.set(key, item, inDict: dict)
            case 0x75: // SETITEMS
                let items = try popMark(at: offset)
                guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd number of items", at: offset) }
                guard case .dict(let dict) = value(try top(at: offset)) else { throw fail("SETITEMS on a \(value(try top(at: offset)).kind)", at: offset) }
                for i in stride(from: 0, to: items.count, by: 2) { try arena.set(items[i], items[i + 1], inDict: dict) }
            case 0x63: // GLOBAL module\nname\n
                let module = PickleMachine.normalised(try line(at: offset))
                let name = try line(at: offset)
                try push(try global(module, name, hooks: hooks, at: offset))
            case 0x93: // STACK_GLOBAL
                let name = value(try pop(at: offset)), module = value(try pop(at: offset))
                guard case .string(let n) = name, case .string(let m) = module else {
                    throw fail("STACK_GLOBAL needs two strings, got \(module.kind) and \(name.kind)", at: offset)
                }
                try push(try global(PickleMachine.normalised(m), n, hooks: hooks, at: offset))
            case 0x52, 0x81, 0x92: // REDUCE, NEWOBJ, NEWOBJ_EX
                if op == 0x92 {
                    let kwargs = value(try pop(at: offset))
                    if case .dict(let d) = kwargs, arena.dict(d).count > 0 { throw fail("NEWOBJ_EX with keyword arguments is not supported", at: offset) }
                }
                let args = value(try pop(at: offset)), callable = value(try pop(at: offset))
                guard case .global(let module, let name) = callable else {
                    throw fail("cannot call a \(callable.kind)", at: offset)
                }
                guard case .tuple(let arguments) = args else { throw fail("\(module).\(name) called with a \(args.kind), expected a tuple", at: offset) }
                do {
                    stack.append(try hooks.call(module: module, name: name, args: arguments, arena: &arena))
                } catch let failure as PickleFailure {
                    throw fail("\(module).\(name): \(failure.message)", at: offset)
                }
            case 0x62: // BUILD: object state is attributes (e.g. state_dict._metadata); not needed
                _ = try pop(at: offset)
                _ = try top(at: offset)
            case 0x51: // BINPERSID
                let id = try pop(at: offset)
                do {
                    stack.append(try hooks.persistentLoad(id, arena: &arena))
                } catch let failure as PickleFailure {
                    throw fail("persistent id: \(failure.message)", at: offset)
                }
            case 0x97, 0x98:
                throw fail("out-of-band buffers (pickle protocol 5 NEXT_BUFFER/READONLY_BUFFER) are not supported", at: offset)
            case 0x69, 0x6F:
                throw fail("INST/OBJ opcodes build arbitrary objects and are not allowed", at: offset)
            case 0x82, 0x83, 0x84:
                throw fail("EXT opcodes (extension registry) are not allowed", at: offset)
            default:
                let printable = op >= 0x20 && op < 0x7F ? " '\(Character(Unicode.Scalar(op)))'" : ""
                throw fail("unsupported pickle opcode 0x\(String(op, radix: 16))\(printable) (text protocol 0 opcodes are not read; re-save with torch.save defaults)", at: offset)
            }
        }
    }

    private func global(_ module: String, _ name: String, hooks: some PickleHooks, at offset: Int) throws -> PickleValue {
        guard hooks.allows(module: module, name: name) else {
            throw fail("GLOBAL \(module).\(name) is not allowed (this reader imports nothing; only tensors, storages and plain containers are accepted)", at: offset)
        }
        return .global(module: module, name: name)
    }
}
