package devserver

import (
	"sync/atomic"
	"time"

	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
)

// settings is the embedded server's dynamic configuration: fixed values, and one
// switch, ForceSearchAttributesCacheRefreshOnRead.
//
// With SQL visibility a custom search attribute is an alias stored in the
// namespace record, and each service reads it from its namespace cache. An
// attribute registered while the server runs (a data dir from a release that
// lacked it) is unknown to those caches until their next reload: starts and
// upserts that name it are refused meanwhile. Forcing search-attribute reads to
// persistence closes that gap, but it costs two database reads on every start,
// upsert, visibility write and history read that carries search attributes —
// about 5% of the server's CPU per cancel, and reads on the one SQLite
// connection the store's writes also need. So the switch is on only while needed:
// from the server's start until registration has found nothing to add (a new
// namespace carries its attributes from creation), or until every cache has
// reloaded twice after an addition.
type settings struct {
	fixed dynamicconfig.StaticClient
	// namespaceReload is how often each service reloads its namespaces
	// (NamespaceCacheRefreshInterval as fixed sets it, or Temporal's default).
	namespaceReload time.Duration
	// forceSearchAttributeReads is ForceSearchAttributesCacheRefreshOnRead,
	// unless fixed sets it.
	forceSearchAttributeReads atomic.Bool
}

var forceSearchAttributeReadsKey = dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key()

func newSettings(fixed dynamicconfig.StaticClient) *settings {
	s := &settings{fixed: fixed,
		namespaceReload: dynamicconfig.NamespaceCacheRefreshInterval.Get(dynamicconfig.NewCollection(fixed, log.NewNoopLogger()))()}
	s.forceSearchAttributeReads.Store(true)
	return s
}

// GetValue implements dynamicconfig.Client; the server calls it on every read of
// a setting, so a change of the switch takes effect at once.
func (s *settings) GetValue(key dynamicconfig.Key) []dynamicconfig.ConstrainedValue {
	if key == forceSearchAttributeReadsKey {
		if _, ok := s.fixed[key]; !ok {
			return []dynamicconfig.ConstrainedValue{{Value: s.forceSearchAttributeReads.Load()}}
		}
	}
	return s.fixed.GetValue(key)
}

// searchAttributesRegistered turns the switch off once the namespace caches hold
// every search attribute: at once when registration added none (the caches loaded
// the namespace with all of them), otherwise after two reloads.
func (s *settings) searchAttributesRegistered(added bool) {
	if !added {
		s.forceSearchAttributeReads.Store(false)
		return
	}
	time.AfterFunc(2*s.namespaceReload+time.Second, func() { s.forceSearchAttributeReads.Store(false) })
}
