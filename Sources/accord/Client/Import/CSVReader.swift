/// A strict reader of RFC 4180 CSV that knows where every field starts. The CSV libraries at hand accept
/// malformed quoting silently and report no positions; an import must refuse a damaged file and say where.
enum CSVReader {
    struct Field: Hashable, Sendable {
        var text: String
        /// 1-based line where the field starts.
        var line: Int
        /// 1-based field number within its record.
        var column: Int
    }

    struct Record: Hashable, Sendable {
        var line: Int
        var fields: [Field]
    }

    struct SyntaxError: Hashable, Sendable {
        var line: Int
        var column: Int
        var message: String
    }

    private enum State { case fieldStart, unquoted, quoted, afterQuote, skippingLine }

    /// The records of `text`, skipping blank lines, and the syntax errors found. Lines end with LF, CRLF or CR;
    /// a quoted field may span lines. A record with a syntax error is left out and reading goes on at the next
    /// line, so that one run reports every damaged line.
    static func records(_ text: String) -> (records: [Record], errors: [SyntaxError]) {
        var records: [Record] = []
        var errors: [SyntaxError] = []
        var fields: [Field] = []
        var current = ""
        var state = State.fieldStart
        var line = 1
        var recordLine = 1
        var fieldLine = 1

        func endField() {
            fields.append(Field(text: current, line: fieldLine, column: fields.count + 1))
            current = ""
        }
        func endRecord() {
            endField()
            let blank = fields.count == 1 && fields[0].text.isEmpty
            if !blank { records.append(Record(line: recordLine, fields: fields)) }
            fields = []
        }

        for character in text {
            let isNewline = character == "\n" || character == "\r\n" || character == "\r"
            switch state {
            case .fieldStart, .unquoted:
                if character == "," {
                    endField()
                    state = .fieldStart
                } else if isNewline {
                    endRecord()
                    state = .fieldStart
                } else if character == "\"" {
                    if state == .fieldStart {
                        state = .quoted
                    } else {
                        errors.append(SyntaxError(line: line, column: fields.count + 1,
                                                  message: "a double quote inside an unquoted field (quote the whole field and double the quote: \"a \"\"b\"\"\")"))
                        state = .skippingLine
                    }
                } else {
                    current.append(character)
                    state = .unquoted
                }
            case .quoted:
                if character == "\"" {
                    state = .afterQuote
                } else {
                    current.append(character)
                }
            case .afterQuote:
                if character == "\"" {
                    current.append("\"")
                    state = .quoted
                } else if character == "," {
                    endField()
                    state = .fieldStart
                } else if isNewline {
                    endRecord()
                    state = .fieldStart
                } else {
                    errors.append(SyntaxError(line: line, column: fields.count + 1, message: "text after the closing quote of a field"))
                    state = .skippingLine
                }
            case .skippingLine:
                if isNewline {
                    fields = []
                    current = ""
                    state = .fieldStart
                }
            }
            if isNewline {
                line += 1
                if state == .fieldStart && fields.isEmpty && current.isEmpty { recordLine = line }
            }
            if state == .fieldStart && current.isEmpty { fieldLine = line }
        }
        switch state {
        case .quoted:
            errors.append(SyntaxError(line: fieldLine, column: fields.count + 1, message: "a quoted field is never closed"))
        case .unquoted, .afterQuote:
            endRecord()
        case .fieldStart:
            if !fields.isEmpty { endRecord() }
        case .skippingLine:
            break
        }
        return (records, errors)
    }
}
