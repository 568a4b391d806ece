"""The generic job engine: durable jobs, leases, heartbeats and recovery.

It knows nothing about training programs: the domain plugs in through
`jobs.steps.StepHandler`.
"""
