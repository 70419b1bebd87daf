import Foundation
import PlinthNN

/// One value of a metrics record, held as its JSON text.
///
/// Integers, booleans and strings map to JSON directly. Floating-point values
/// use the shortest text that reads back to the same value (`Float(1.23)` is
/// `1.23`, not `1.2300000190734863`); NaN and infinities, which JSON cannot
/// express, become `null`. Dates become ISO 8601 UTC strings with whole seconds.
public struct MetricValue: Sendable, Equatable, CustomStringConvertible {
    /// The value as JSON text.
    public let json: String

    private init(json: String) { self.json = json }

    public static func int(_ value: some BinaryInteger) -> MetricValue { MetricValue(json: "\(value)") }

    public static func number(_ value: Double) -> MetricValue { MetricValue(json: value.isFinite ? "\(value)" : "null") }

    public static func number(_ value: Float) -> MetricValue { MetricValue(json: value.isFinite ? "\(value)" : "null") }

    public static func bool(_ value: Bool) -> MetricValue { MetricValue(json: value ? "true" : "false") }

    public static func string(_ value: String) -> MetricValue { MetricValue(json: jsonQuoted(value)) }

    /// `date` as `"2026-11-21T22:00:00Z"`.
    public static func time(_ date: Date) -> MetricValue {
        string(date.formatted(.iso8601))
    }

    public static let null = MetricValue(json: "null")

    public var description: String { json }
}

extension MetricValue: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByStringLiteral
{
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(stringLiteral value: String) { self = .string(value) }
}
