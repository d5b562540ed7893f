import AccordDomain
import AccordService
import HTTPTypes
import Hummingbird
import Logging

/// `POST /v1/processes/{process}/steps/batch`: several stage steps recorded as one unit (the CLI's CSV
/// import). Each step is validated against the process with the batch's earlier steps applied; the steps are
/// appended in one atomic append, or — when any is refused — nothing is recorded and the problem names the
/// refused step by its `index` (0-based) in `steps`.
enum StepBatchRoutes {
    static func install(on router: Router<AccordRequestContext>, _ env: APIEnvironment) {
        Endpoints(router: router).post("v1/processes/:process/steps/batch") { request, context in
            let id = try env.processID(context)
            // A delegate may import only its own parties' steps: every party is checked before anything is decided.
            let permission = WritePermission<StepBatchRequest>.checked { body, principal in
                guard !body.steps.isEmpty else { throw Problem.malformed("steps: give at least one step") }
                guard body.steps.count <= CommandService.maximumBatchSize else {
                    throw Problem.malformed("steps: at most \(CommandService.maximumBatchSize) steps per batch, not \(body.steps.count)")
                }
                for (index, step) in body.steps.enumerated() where !principal.may(.record(step.party)) {
                    do {
                        try principal.require(.record(step.party))
                    } catch {
                        throw itemProblem(Problem.from(error, logger: context.logger), index: index, step: step)
                    }
                }
            }
            return try await env.write(request, context, StepBatchRequest.self, permission: permission) { body, commandContext in
                let commands = body.steps.map { ProcessCommand.recordStep(process: id, step: $0.content, occurredAt: $0.occurredAt) }
                do {
                    return ProcessRoutes.recorded(try await env.service.commands.execute(batch: commands, context: commandContext))
                } catch let rejection as BatchRejection {
                    throw itemProblem(Problem.from(rejection.error, logger: context.logger), index: rejection.index, step: body.steps[rejection.index])
                }
            }
        }
    }

    /// The problem of one refused step: its own type and status, naming the step.
    static func itemProblem(_ problem: Problem, index: Int, step: StepRequest) -> Problem {
        var named = problem
        named.detail = "steps[\(index)] (\(step.party) \(step.stage)): \(problem.detail)"
        named.extensions["index"] = .integer(Int64(index))
        return named
    }
}
