// ocm-scheduler: OCM's own placement scheduler as a test oracle.
//
//	ocm-scheduler --now 2025-01-01T00:00:00Z [--mode isolated|sequential] FILE|DIR...
//	ocm-scheduler --version
//
// Reads ManagedClusters, ManagedClusterSets, ManagedClusterSetBindings,
// Placements, existing PlacementDecisions and AddOnPlacementScores (YAML or
// JSON; other kinds are skipped), runs each Placement through the scheduling
// controller of open-cluster-management.io/ocm over a fake clientset, and
// prints the decisions as JSON on stdout. Nothing of OCM is reimplemented here:
// this program only wires inputs to OCM's code and its results to JSON.
//
// Modes:
//
//	isolated    each Placement is scheduled on a hub where no other placement has
//	            decisions: only its own given PlacementDecisions exist (Steady,
//	            NoSelectIfNew), none on a fresh hub
//	sequential  the Placements are scheduled one after the other, in the order read,
//	            on one hub holding every given PlacementDecision: each sees the
//	            decisions of all others, those made before it included (Balance)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"

	clusterv1beta1 "open-cluster-management.io/api/cluster/v1beta1"
)

type condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

type decisionGroup struct {
	Index    int32    `json:"index"`
	Name     string   `json:"name"`
	Clusters []string `json:"clusters"`
}

type placementResult struct {
	Namespace                string          `json:"namespace"`
	Name                     string          `json:"name"`
	Clusters                 []string        `json:"clusters"`
	DecisionGroups           []decisionGroup `json:"decisionGroups"`
	NumberOfSelectedClusters int32           `json:"numberOfSelectedClusters"`
	Conditions               []condition     `json:"conditions"`
	SyncError                string          `json:"syncError,omitempty"`
}

type output struct {
	OCM        string            `json:"ocm"`
	Now        string            `json:"now"`
	Mode       string            `json:"mode"`
	Placements []placementResult `json:"placements"`
}

func ocmVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "open-cluster-management.io/ocm" {
				return dep.Path + " " + dep.Version
			}
		}
	}
	return "open-cluster-management.io/ocm (unknown version)"
}

func labelsFor(placement string) labels.Selector {
	return labels.SelectorFromSet(labels.Set{clusterv1beta1.PlacementLabel: placement})
}

// ownDecisions are the PlacementDecisions of Placement p among the given ones.
func ownDecisions(all []*clusterv1beta1.PlacementDecision, p *clusterv1beta1.Placement) []*clusterv1beta1.PlacementDecision {
	var own []*clusterv1beta1.PlacementDecision
	for _, pd := range all {
		if pd.Namespace == p.Namespace && pd.Labels[clusterv1beta1.PlacementLabel] == p.Name {
			own = append(own, pd)
		}
	}
	return own
}

func run(args []string) error {
	fs := flag.NewFlagSet("ocm-scheduler", flag.ContinueOnError)
	nowText := fs.String("now", "", "the scheduler's clock (RFC 3339), for tolerationSeconds")
	mode := fs.String("mode", "isolated", "isolated | sequential")
	version := fs.Bool("version", false, "print the OCM module version and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *version {
		fmt.Println(ocmVersion())
		return nil
	}
	if *nowText == "" || fs.NArg() == 0 {
		return fmt.Errorf("usage: ocm-scheduler --now TIME [--mode isolated|sequential] FILE|DIR")
	}
	if *mode != "isolated" && *mode != "sequential" {
		return fmt.Errorf("--mode: %q is neither isolated nor sequential", *mode)
	}
	now, err := time.Parse(time.RFC3339, *nowText)
	if err != nil {
		return fmt.Errorf("--now: %w", err)
	}
	paths, err := inputFiles(fs.Args())
	if err != nil {
		return err
	}
	objs, err := loadObjects(paths)
	if err != nil {
		return err
	}
	ctx := context.Background()
	if err := admitClusters(ctx, objs); err != nil {
		return err
	}
	withDefaultSets(objs)
	h, err := newHub(ctx, objs, now)
	if err != nil {
		return err
	}
	out := output{OCM: ocmVersion(), Now: now.UTC().Format(time.RFC3339), Mode: *mode, Placements: []placementResult{}}
	for _, p := range objs.placements {
		if *mode == "isolated" {
			if err := h.resetDecisions(ctx, ownDecisions(objs.decisions, p)); err != nil {
				return err
			}
		}
		res, err := h.schedule(ctx, p)
		if err != nil {
			return fmt.Errorf("placement %s/%s: %w", p.Namespace, p.Name, err)
		}
		out.Placements = append(out.Placements, res)
	}
	sort.SliceStable(out.Placements, func(i, j int) bool {
		a, b := out.Placements[i], out.Placements[j]
		return a.Namespace < b.Namespace || (a.Namespace == b.Namespace && a.Name < b.Name)
	})
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func main() {
	// The controller logs every sync; only its result matters here.
	klog.SetOutput(os.Stderr)
	klog.LogToStderr(false)
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ocm-scheduler:", err)
		os.Exit(1)
	}
}
