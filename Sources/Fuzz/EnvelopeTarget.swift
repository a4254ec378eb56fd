import Shared

/// Target `envelope`: a message as a stage receives it. The first byte picks the kind (its value modulo
/// the number of kinds, in `MessageKind.allCases` order), the rest is the payload frame; `Envelope(frames:)`
/// checks the frames and the size, then the kind's parser runs. A Job's latent bytes are parsed as the
/// worker parses them, an Answer's result bytes as the sink does, and a Result is also written as the
/// sink's JSON document and read back.
///
/// Invariants: whatever parses serialises to bytes that parse back to the same bytes (the message stands
/// for what was read); a Result's document reads back.
enum EnvelopeTarget {
    static func run(_ bytes: [UInt8]) -> FuzzOutcome {
        guard let selector = bytes.first else { return .refused("empty input") }
        let kind = MessageKind.allCases[Int(selector) % MessageKind.allCases.count]
        do throws(WireError) {
            let envelope = try Envelope(frames: [kind.tag, Array(bytes.dropFirst())])
            switch kind {
            case .frame: try stable(envelope.decode(FrameMessage.self))
            case .latent: try stable(envelope.decode(LatentMessage.self))
            case .control: try stable(envelope.decode(ControlMessage.self))
            case .result: try document(stable(envelope.decode(ResultMessage.self)))
            case .job: try stable(LatentMessage(serialized: stable(envelope.decode(JobMessage.self)).latent))
            case .answer: try document(stable(ResultMessage(serialized: stable(envelope.decode(AnswerMessage.self)).result)))
            }
            return .accepted
        } catch {
            return refusal(error)
        }
    }

    /// Bytes, not values, are compared: a float field may hold a NaN.
    @discardableResult
    static func stable<Message: WireMessage>(_ message: Message) -> Message {
        let bytes = message.serialized()
        let again = try? Message(serialized: bytes).serialized()
        check(again == bytes, "a parsed \(Message.self) does not parse back from its own serialisation")
        return message
    }

    /// The sink's JSON document of a Result reads back into a Result with the same wire bytes (less the kept
    /// latent, which the document never carries: the sink stores it apart).
    static func document(_ result: ResultMessage) {
        let labels = result.tasks.segmentation.map { ($0.labels, $0.size) }
        do throws(ResultDocumentError) {
            let again = try ResultMessage(json: result.jsonData(), labels: labels)
            check(again.serialized() == result.withoutLatent.serialized(), "a Result's JSON document reads back as another Result")
        } catch {
            fatalError("a Result's JSON document does not read back: \(error)")
        }
    }
}
