package io.convt.engine.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle <em>parser</em> for tensor state dicts: it reads the opcodes of pickle protocols 2 to 5 that
 * {@code torch.save} writes for dicts, lists, tuples, strings, numbers, booleans and {@code None}, and resolves
 * only an allow-list of globals, the ones {@code torch.load(weights_only=True)} accepts for a state dict. It never
 * imports, calls or instantiates anything: a global names a {@link Global} value, and {@code REDUCE},
 * {@code BUILD} and persistent ids are handed to {@link Hooks}, which build plain data. Any other opcode or global
 * is refused before anything happens, with the offending opcode or global named.
 */
final class RestrictedUnpickler {
  /** A resolved global (module and qualified name); only allowed ones are ever created. */
  record Global(String module, String name) {
    @Override
    public String toString() {
      return module + "." + name;
    }
  }

  /** An immutable pickle tuple. */
  record Tuple(List<Object> items) {
    int size() {
      return items.size();
    }

    Object get(int i) {
      return items.get(i);
    }
  }

  /** Python's {@code None} (the stack holds no Java nulls). */
  enum PyNone { NONE }

  private enum Mark { MARK }

  /** What the parser cannot decide itself: the meaning of calls, state and persistent ids. */
  interface Hooks {
    /** {@code REDUCE}: {@code callable(*args)} for an allowed global. */
    Object reduce(Global callable, Tuple args);

    /** {@code BUILD}: {@code obj.__setstate__(state)}; returns the object that stays on the stack. */
    Object build(Object obj, Object state);

    /** {@code BINPERSID}: the object a persistent id stands for. */
    Object persistentLoad(Object pid);
  }

  /** Thrown for any input the parser refuses; the message names the opcode or global and its offset. */
  static final class RefusedException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    RefusedException(String message) {
      super(message);
    }
  }

  private static final int MAX_STACK = 1 << 20;
  private static final int MAX_GLOBAL_LINE = 256;

  private final ByteBuffer in;
  private final Set<Global> allowed;
  private final Hooks hooks;
  private final List<Object> stack = new ArrayList<>();
  private final Map<Long, Object> memo = new HashMap<>();

  private RestrictedUnpickler(byte[] data, Set<Global> allowed, Hooks hooks) {
    this.in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    this.allowed = allowed;
    this.hooks = hooks;
  }

  /** Parses one pickle (up to its {@code STOP}) and returns the top object. */
  static Object parse(byte[] data, Set<Global> allowed, Hooks hooks) {
    return new RestrictedUnpickler(data, allowed, hooks).run();
  }

  private Object run() {
    while (true) {
      if (!in.hasRemaining()) {
        throw refuse("ends without a STOP opcode (truncated)");
      }
      int at = in.position();
      int op = in.get() & 0xff;
      switch (op) {
        case 0x80 -> { // PROTO
          int v = u8();
          if (v < 2 || v > 5) {
            throw refuse("pickle protocol " + v + " at byte " + at + " (only 2 to 5 are read)");
          }
        }
        case 0x95 -> skip(8, "FRAME"); // FRAME: a length prefix only, the opcodes follow inline
        case '.' -> {
          if (stack.size() != 1) {
            throw refuse("STOP at byte " + at + " with " + stack.size() + " objects on the stack");
          }
          return stack.get(0);
        }
        case '(' -> push(Mark.MARK);
        case '}' -> push(new LinkedHashMap<Object, Object>());
        case ']' -> push(new ArrayList<Object>());
        case ')' -> push(new Tuple(List.of()));
        case 'N' -> push(PyNone.NONE);
        case 0x88 -> push(Boolean.TRUE);
        case 0x89 -> push(Boolean.FALSE);
        case 'K' -> push((long) u8());
        case 'M' -> push((long) (u16()));
        case 'J' -> push((long) need(4, "BININT").getInt());
        case 0x8a -> push(long1(at));
        case 'G' -> push(need(8, "BINFLOAT").order(ByteOrder.BIG_ENDIAN).getDouble());
        case 'X' -> push(text(Integer.toUnsignedLong(need(4, "BINUNICODE").getInt()), at));
        case 0x8c -> push(text(u8(), at));
        case 0x8d -> push(text(need(8, "BINUNICODE8").getLong(), at));
        case 't' -> push(new Tuple(popToMark(at)));
        case 0x85 -> push(new Tuple(List.of(pop(at))));
        case 0x86 -> {
          Object b = pop(at);
          push(new Tuple(List.of(pop(at), b)));
        }
        case 0x87 -> {
          Object c = pop(at);
          Object b = pop(at);
          push(new Tuple(List.of(pop(at), b, c)));
        }
        case 'l' -> push(new ArrayList<>(popToMark(at)));
        case 'd' -> {
          Map<Object, Object> m = new LinkedHashMap<>();
          putAll(m, popToMark(at), at);
          push(m);
        }
        case 'a' -> {
          Object v = pop(at);
          list(peek(at), at).add(v);
        }
        case 'e' -> {
          List<Object> items = popToMark(at);
          list(peek(at), at).addAll(items);
        }
        case 's' -> {
          Object v = pop(at);
          Object k = pop(at);
          putAll(dict(peek(at), at), List.of(k, v), at);
        }
        case 'u' -> {
          List<Object> kv = popToMark(at);
          putAll(dict(peek(at), at), kv, at);
        }
        case 'q' -> memo.put((long) u8(), peek(at));
        case 'r' -> memo.put(Integer.toUnsignedLong(need(4, "LONG_BINPUT").getInt()), peek(at));
        case 0x94 -> memo.put((long) memo.size(), peek(at));
        case 'h' -> push(memoGet(u8(), at));
        case 'j' -> push(memoGet(Integer.toUnsignedLong(need(4, "LONG_BINGET").getInt()), at));
        case 'c' -> push(global(line(at), line(at), at));
        case 0x93 -> {
          Object name = pop(at);
          Object module = pop(at);
          if (!(module instanceof String m) || !(name instanceof String n)) {
            throw refuse("STACK_GLOBAL at byte " + at + " without two strings");
          }
          push(global(m, n, at));
        }
        case 'R' -> {
          Object args = pop(at);
          Object callable = pop(at);
          if (!(callable instanceof Global g) || !(args instanceof Tuple t)) {
            throw refuse("REDUCE at byte " + at + " of a " + typeName(callable) + " (only allowed globals are called)");
          }
          push(hooks.reduce(g, t));
        }
        case 'b' -> {
          Object state = pop(at);
          push(hooks.build(pop(at), state));
        }
        case 'Q' -> push(hooks.persistentLoad(pop(at)));
        default -> throw refuse("refused pickle opcode 0x" + Integer.toHexString(op)
            + (op >= 0x20 && op < 0x7f ? " '" + (char) op + "'" : "") + " at byte " + at
            + " (a tensor state dict needs only dict, list, tuple, str, int, float, bool, None and tensor opcodes)");
      }
    }
  }

  private Global global(String module, String name, int at) {
    Global g = new Global(module, name);
    if (!allowed.contains(g)) {
      throw refuse("refused pickle global '" + g + "' at byte " + at
          + " (only tensor state dicts are read: collections.OrderedDict, torch._utils._rebuild_tensor_v2,"
          + " torch._utils._rebuild_parameter and torch float storages)");
    }
    return g;
  }

  private void putAll(Map<Object, Object> m, List<Object> kv, int at) {
    if (kv.size() % 2 != 0) {
      throw refuse("odd number of dict items at byte " + at);
    }
    for (int i = 0; i < kv.size(); i += 2) {
      Object k = kv.get(i);
      if (!(k instanceof String || k instanceof Long || k instanceof Boolean || k instanceof Double
          || k instanceof Tuple || k == PyNone.NONE)) {
        throw refuse("dict key of type " + typeName(k) + " at byte " + at);
      }
      m.put(k, kv.get(i + 1));
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<Object, Object> dict(Object o, int at) {
    if (o instanceof Map<?, ?> m) {
      return (Map<Object, Object>) m;
    }
    throw refuse("SETITEM(S) at byte " + at + " on a " + typeName(o));
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o, int at) {
    if (o instanceof ArrayList<?> l) {
      return (List<Object>) l;
    }
    throw refuse("APPEND(S) at byte " + at + " on a " + typeName(o));
  }

  static String typeName(Object o) {
    if (o instanceof Map) {
      return "dict";
    }
    if (o instanceof List) {
      return "list";
    }
    if (o instanceof Tuple) {
      return "tuple";
    }
    return o == PyNone.NONE ? "None" : o instanceof Mark ? "MARK" : o.getClass().getSimpleName();
  }

  private Object memoGet(long key, int at) {
    Object o = memo.get(key);
    if (o == null) {
      throw refuse("BINGET of unset memo slot " + key + " at byte " + at);
    }
    return o;
  }

  private void push(Object o) {
    if (stack.size() >= MAX_STACK) {
      throw refuse("more than " + MAX_STACK + " objects on the pickle stack");
    }
    stack.add(o);
  }

  private Object peek(int at) {
    if (stack.isEmpty() || stack.get(stack.size() - 1) == Mark.MARK) {
      throw refuse("stack underflow at byte " + at);
    }
    return stack.get(stack.size() - 1);
  }

  private Object pop(int at) {
    Object o = peek(at);
    stack.remove(stack.size() - 1);
    return o;
  }

  private List<Object> popToMark(int at) {
    int m = stack.lastIndexOf(Mark.MARK);
    if (m < 0) {
      throw refuse("no MARK for the opcode at byte " + at);
    }
    List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
    stack.subList(m, stack.size()).clear();
    return items;
  }

  private long long1(int at) {
    int n = u8();
    if (n > 8) {
      throw refuse("LONG1 of " + n + " bytes at byte " + at + " (integers beyond 64 bits are not read)");
    }
    ByteBuffer b = need(n, "LONG1");
    long v = 0;
    for (int i = 0; i < n; i++) {
      v |= (b.get() & 0xffL) << (8 * i);
    }
    if (n > 0 && n < 8 && (v >>> (8 * n - 1) & 1) == 1) {
      v |= -1L << (8 * n); // two's complement sign extension
    }
    return v;
  }

  private String text(long n, int at) {
    ByteBuffer b = need(n, "string");
    try {
      CharBuffer c = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(b);
      return c.toString();
    } catch (CharacterCodingException e) {
      throw refuse("string at byte " + at + " is not valid UTF-8");
    }
  }

  private String line(int at) {
    StringBuilder s = new StringBuilder();
    while (true) {
      if (!in.hasRemaining() || s.length() > MAX_GLOBAL_LINE) {
        throw refuse("GLOBAL at byte " + at + " has no name line");
      }
      int ch = in.get() & 0xff;
      if (ch == '\n') {
        return s.toString();
      }
      if (ch < 0x20 || ch >= 0x7f) {
        throw refuse("GLOBAL at byte " + at + " has a non-ASCII name");
      }
      s.append((char) ch);
    }
  }

  private int u8() {
    return need(1, "argument").get() & 0xff;
  }

  private int u16() {
    return need(2, "BININT2").getShort() & 0xffff;
  }

  private void skip(long n, String what) {
    need(n, what);
  }

  /** The next {@code n} bytes as a little-endian view, or a refusal when the pickle ends first. */
  private ByteBuffer need(long n, String what) {
    if (n < 0 || n > in.remaining()) {
      throw refuse(what + " of " + n + " bytes at byte " + in.position() + " runs past the end (truncated)");
    }
    ByteBuffer b = in.slice(in.position(), (int) n).order(ByteOrder.LITTLE_ENDIAN);
    in.position(in.position() + (int) n);
    return b;
  }

  private static RefusedException refuse(String message) {
    return new RefusedException(message);
  }
}
