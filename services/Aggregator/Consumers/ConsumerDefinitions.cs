using Platform.Hosting;

namespace Platform.Aggregator.Consumers;

public sealed class RunPlannedConsumerDefinition() : PlatformConsumerDefinition<RunPlannedConsumer>(null, 16);

public sealed class CandidatesGeneratedConsumerDefinition() : PlatformConsumerDefinition<CandidatesGeneratedConsumer>(null, 16);

public sealed class CandidatesScoredConsumerDefinition() : PlatformConsumerDefinition<CandidatesScoredConsumer>(null, 16);

public sealed class RunFaultConsumerDefinition() : PlatformConsumerDefinition<RunFaultConsumer>(null, 4);


public sealed class FailRunConsumerDefinition() : PlatformConsumerDefinition<FailRunConsumer>(QueueNames.FailRun, 4);
