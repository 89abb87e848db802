package acd

// Bucket is the agent's state as a wallboard or a metric counts it: what the phone does while
// on a call ("ringing", "talking", "wrap_up"), the chosen status otherwise ("available",
// "break", "signed_out"); an agent on shift whose phone is not registered is "offline".
func (a AgentInfo) Bucket() string {
	switch {
	case a.State == StateRinging:
		return "ringing"
	case a.State == StateTalking:
		return "talking"
	case a.State == StateWrapUp:
		return "wrap_up"
	case a.Status == StatusSignedOut:
		return "signed_out"
	case !a.Registered:
		return "offline"
	case a.Status == StatusBreak:
		return "break"
	}
	return "available"
}

// Buckets are the values of Bucket, in the order a wallboard shows them.
var Buckets = []string{"available", "ringing", "talking", "wrap_up", "break", "offline", "signed_out"}
