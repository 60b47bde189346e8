package sqlite_test

import (
	"testing"

	"crewid/store"
	"crewid/store/sqlite"
	"crewid/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return sqlite.OpenTest(t) })
}

func TestOutbox(t *testing.T) {
	storetest.RunOutbox(t, func(t *testing.T) store.Store { return sqlite.OpenTest(t) })
}

func TestSessions(t *testing.T) {
	storetest.RunSessions(t, func(t *testing.T) store.Store { return sqlite.OpenTest(t) })
}

func TestHistory(t *testing.T) {
	storetest.RunHistory(t, func(t *testing.T) store.Store { return sqlite.OpenTest(t) })
}

func TestFilter(t *testing.T) {
	storetest.RunFilter(t, func(t *testing.T) store.Store { return sqlite.OpenTest(t) })
}

func TestWebhooks(t *testing.T) {
	storetest.RunWebhooks(t, func(t *testing.T) store.Store { return sqlite.OpenTest(t) })
}

func TestSSO(t *testing.T) {
	storetest.RunSSO(t, func(t *testing.T) store.Store { return sqlite.OpenTest(t) })
}

func TestRevocations(t *testing.T) {
	storetest.RunRevocations(t, func(t *testing.T) store.Store { return sqlite.OpenTest(t) })
}
