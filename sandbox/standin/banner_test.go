package standin

import (
	"context"
	"net"
	"sync"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// recordingEngine is the engine's Log service, recording what providers log.
type recordingEngine struct {
	pulumirpc.UnimplementedEngineServer
	mu   sync.Mutex
	logs []*pulumirpc.LogRequest
}

func (e *recordingEngine) Log(_ context.Context, req *pulumirpc.LogRequest) (*emptypb.Empty, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.logs = append(e.logs, req)
	return &emptypb.Empty{}, nil
}

func startEngine(t *testing.T) (*recordingEngine, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	eng := &recordingEngine{}
	srv := grpc.NewServer()
	pulumirpc.RegisterEngineServer(srv, eng)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return eng, lis.Addr().String()
}

// Under the plain CLI no driver prints the banner: the provider itself must
// say it is a stand-in, once per provider instance, on its provider resource.
func TestConfigureWarnsOnceThatThisIsAStandIn(t *testing.T) {
	eng, addr := startEngine(t)
	p := New("aws")
	ctx := context.Background()
	hs, err := p.Handshake(ctx, &pulumirpc.ProviderHandshakeRequest{EngineAddress: addr})
	require.NoError(t, err)
	assert.True(t, hs.GetAcceptSecrets() && hs.GetAcceptResources() && hs.GetAcceptOutputs(),
		"the handshake declares what Configure declares")

	urn := "urn:pulumi:dev::platform::pulumi:providers:aws::aws-dev"
	for range 2 {
		_, err := p.Configure(ctx, &pulumirpc.ConfigureRequest{Urn: &urn})
		require.NoError(t, err)
	}
	eng.mu.Lock()
	defer eng.mu.Unlock()
	require.Len(t, eng.logs, 1, "one banner per provider instance, not one per Configure")
	assert.Equal(t, pulumirpc.LogSeverity_WARNING, eng.logs[0].GetSeverity())
	assert.Equal(t, urn, eng.logs[0].GetUrn())
	assert.Contains(t, eng.logs[0].GetMessage(), Banner)
	assert.Contains(t, eng.logs[0].GetMessage(), "aws provider")
}

// Without a handshake (an engine that predates it, or a unit test) there is
// nowhere to log, and Configure still succeeds.
func TestConfigureWithoutHandshakeStillConfigures(t *testing.T) {
	_, err := New("aws").Configure(context.Background(), &pulumirpc.ConfigureRequest{})
	require.NoError(t, err)
}
