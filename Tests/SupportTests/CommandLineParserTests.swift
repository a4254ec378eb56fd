import Shared
import Testing

@Suite struct CommandLineParserTests {
    static let spec = CommandSpec(
        command: "t", summary: "test",
        options: [.value("window", "n", help: ""), .value("rate", "kbps", help: ""), .flag("loop", help: "")])

    @Test func aNumberInItsRangeIsReadAndAnAbsentOneTakesTheDefault() throws {
        let options = try Self.spec.parse(["--window=3", "--rate", "37.5"])
        #expect(try options.number("window", default: 2, expected: "at least 1") { $0 >= 1 } == 3)
        #expect(try options.number("rate", default: 100.0) { $0 > 0 } == 37.5)
        let none = try Self.spec.parse([])
        #expect(try none.number("window", default: 2) { $0 >= 1 } == 2)
        #expect(try none.optionalNumber("rate") as Double? == nil)
    }

    @Test(arguments: ["0", "-1", "x", "2.5", "", "99999999999999999999"])
    func aWindowThatIsNotAPositiveIntegerIsAUsageErrorNamingTheOption(text: String) throws {
        let options = try Self.spec.parse(["--window", text])
        #expect(throws: CommandLineError.invalidValue(option: "window", value: text, expected: "at least 1")) {
            try options.number("window", default: 2, expected: "at least 1") { $0 >= 1 }
        }
    }

    @Test(arguments: ["nan", "inf", "-inf", "1e400", "0", "12kbps"])
    func aRateThatIsNotAFinitePositiveNumberIsRefused(text: String) throws {
        let options = try Self.spec.parse(["--rate", text])
        #expect(throws: CommandLineError.invalidValue(option: "rate", value: text, expected: "a positive rate")) {
            try options.optionalNumber("rate", expected: "a positive rate") { (rate: Double) in rate > 0 }
        }
    }
}
