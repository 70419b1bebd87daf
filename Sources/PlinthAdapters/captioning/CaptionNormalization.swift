/// Raw caption -> the lowercase tokens the caption metrics score, approximating coco-caption's
/// preprocessing without Java: Stanford PTBTokenizer (CoreNLP 3.4.1, `-preserveLines
/// -lowerCase`) followed by pycocoevalcap's removal of punctuation tokens.
///
/// Rules:
/// 1. Lowercase (`String.lowercased()`); the curly apostrophes U+2018 and U+2019 become '.
/// 2. Split at whitespace into chunks, and each chunk into tokens, left to right:
///    - ( ) [ ] { } become the tokens -lrb- -rrb- -lsb- -rsb- -lcb- -rcb-. They stay:
///      pycocoevalcap removes "-LRB-" and the like, but PTBTokenizer has lowercased them.
///    - $ % & * + = | are tokens of their own.
///    - A run of ! and ? is one token, kept only when longer than one character ("?!", "!!").
///    - " ; ` and the characters U+201C U+201D U+2026 U+2013 U+2014 (curly quotes, ellipsis,
///      dashes) are removed.
///    - . , : ' - are removed except inside a word: ' - . between two letters or digits
///      ("x-ray", "o'clock", "3.14", "end.next"), , and : between two digits ("1,000", "3:30"),
///      and a final . after a letter or digit that follows a . ("u.s.", "p.m.").
///    - Every other character belongs to the current word.
///    A chunk that is already one of the bracket or contraction tokens stays whole, so
///    normalizing a normalized caption changes nothing.
/// 3. Words lose the contraction suffixes n't 's 'm 'd 're 've 'll, as separate tokens:
///    "don't" -> "do n't", "can't" -> "ca n't", "she'd've" -> "she 'd 've".
///
/// Known differences from PTBTokenizer (rare in captions): its abbreviation list ("mr." stays
/// "mr."; here "mr"), the splits of "gonna", "cannot", "'tis" and "rock'n'roll", "#" before a
/// digit, a number followed by a unit ("5pm"), fraction characters, emoji (which it deletes),
/// and Greek final sigma.
public enum CaptionNormalization {
    public static func tokens(_ caption: String) -> [String] {
        let text = String(caption.lowercased().map { $0 == "\u{2018}" || $0 == "\u{2019}" ? "'" : $0 })
        return text.split(whereSeparator: \.isWhitespace).flatMap(chunkTokens)
    }

    /// The tokens joined by single spaces.
    public static func normalize(_ caption: String) -> String {
        tokens(caption).joined(separator: " ")
    }

    private static let brackets: [Character: String] = [
        "(": "-lrb-", ")": "-rrb-", "[": "-lsb-", "]": "-rsb-", "{": "-lcb-", "}": "-rcb-",
    ]
    private static let symbols: Set<Character> = ["$", "%", "&", "*", "+", "=", "|"]
    private static let removed: Set<Character> = ["\"", ";", "`", "\u{201C}", "\u{201D}", "\u{2026}", "\u{2013}", "\u{2014}"]
    private static let removedOutsideWords: Set<Character> = [".", ",", ":", "'", "-"]
    private static let contractions = ["n't", "'s", "'m", "'d", "'re", "'ve", "'ll"]
    private static let wholeTokens = Set(brackets.values).union(contractions)

    private static func chunkTokens(_ chunk: Substring) -> [String] {
        if wholeTokens.contains(String(chunk)) { return [String(chunk)] }
        let chars = Array(chunk)
        var tokens: [String] = [], word = ""
        func endWord() {
            if !word.isEmpty { tokens += splitContractions(word) }
            word = ""
        }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            i += 1
            if c == "!" || c == "?" {
                var run = String(c)
                while i < chars.count, chars[i] == "!" || chars[i] == "?" {
                    run.append(chars[i])
                    i += 1
                }
                endWord()
                if run.count > 1 { tokens.append(run) }
            } else if let bracket = brackets[c] {
                endWord()
                tokens.append(bracket)
            } else if symbols.contains(c) {
                endWord()
                tokens.append(String(c))
            } else if removed.contains(c) || (removedOutsideWords.contains(c) && !isInsideWord(chars, i - 1)) {
                endWord()
            } else {
                word.append(c)
            }
        }
        endWord()
        return tokens
    }

    /// Whether the . , : ' or - at `i` belongs to the word around it (rule 2).
    private static func isInsideWord(_ chars: [Character], _ i: Int) -> Bool {
        let before = i > 0 ? chars[i - 1] : nil, after = i + 1 < chars.count ? chars[i + 1] : nil
        func isAlphanumeric(_ c: Character?) -> Bool { c.map { $0.isLetter || $0.isNumber } ?? false }
        switch chars[i] {
        case ",", ":":
            return before?.isNumber == true && after?.isNumber == true
        case "." where after == nil:
            return i >= 2 && chars[i - 2] == "." && isAlphanumeric(before)
        default:
            return isAlphanumeric(before) && isAlphanumeric(after)
        }
    }

    private static func splitContractions(_ word: String) -> [String] {
        guard let suffix = contractions.first(where: { word.count > $0.count && word.hasSuffix($0) }) else { return [word] }
        return splitContractions(String(word.dropLast(suffix.count))) + [suffix]
    }
}
