package main

// A hub made of OCM's own code over a fake clientset: the ManagedCluster
// mutating webhook's defaulting, the default and global ManagedClusterSets the
// registration hub controllers create, and the placement scheduling controller
// (its sync, the plugin scheduler with the default plugins and prioritizer
// weights). Informers are not started: their stores are filled from the
// inputs and, after each sync, from what the controller wrote, so each run is
// deterministic.

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"
	kevents "k8s.io/client-go/tools/events"
	testingclock "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	clusterfake "open-cluster-management.io/api/client/cluster/clientset/versioned/fake"
	clusterinformers "open-cluster-management.io/api/client/cluster/informers/externalversions"
	clusterv1beta1 "open-cluster-management.io/api/cluster/v1beta1"
	ocmfeature "open-cluster-management.io/api/feature"
	"open-cluster-management.io/sdk-go/pkg/basecontroller/factory"

	"open-cluster-management.io/ocm/pkg/features"
	"open-cluster-management.io/ocm/pkg/placement/controllers/metrics"
	"open-cluster-management.io/ocm/pkg/placement/controllers/scheduling"
	"open-cluster-management.io/ocm/pkg/placement/plugins/tainttoleration"
	"open-cluster-management.io/ocm/pkg/registration/hub/managedclusterset"
	webhookv1 "open-cluster-management.io/ocm/pkg/registration/webhook/v1"
)

type hub struct {
	client     *clusterfake.Clientset
	informers  clusterinformers.SharedInformerFactory
	controller factory.Controller
	objs       *hubObjects
}

// admitClusters runs every ManagedCluster through the hub's mutating webhook as
// an UPDATE that changes nothing: the cluster-set label is defaulted (missing or
// empty -> `default`), taints keep the timeAdded they were read with.
func admitClusters(ctx context.Context, objs *hubObjects) error {
	if err := features.HubMutableFeatureGate.Add(ocmfeature.DefaultHubRegistrationFeatureGates); err != nil {
		return err
	}
	webhook := &webhookv1.ManagedClusterWebhook{}
	for _, cluster := range objs.clusters {
		raw, err := json.Marshal(cluster)
		if err != nil {
			return err
		}
		req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
			Operation: admissionv1.Update,
			Name:      cluster.Name,
			OldObject: runtime.RawExtension{Raw: raw},
		}}
		if err := webhook.Default(admission.NewContextWithRequest(ctx, req), cluster); err != nil {
			return fmt.Errorf("ManagedCluster %s: %w", cluster.Name, err)
		}
	}
	return nil
}

// withDefaultSets adds the `default` and `global` ManagedClusterSets a hub
// creates (registration's default/global clusterset controllers) unless given.
func withDefaultSets(objs *hubObjects) {
	have := map[string]bool{}
	for _, s := range objs.sets {
		have[s.Name] = true
	}
	for _, s := range []string{managedclusterset.DefaultManagedClusterSetName, managedclusterset.GlobalManagedClusterSetName} {
		if have[s] {
			continue
		}
		if s == managedclusterset.DefaultManagedClusterSetName {
			objs.sets = append(objs.sets, managedclusterset.DefaultManagedClusterSet.DeepCopy())
		} else {
			objs.sets = append(objs.sets, managedclusterset.GlobalManagedClusterSet.DeepCopy())
		}
	}
}

func newHub(ctx context.Context, objs *hubObjects, now time.Time) (*hub, error) {
	tainttoleration.TolerationClock = testingclock.NewFakeClock(now)
	var all []runtime.Object
	all = appendObjects(all, objs.clusters)
	all = appendObjects(all, objs.sets)
	all = appendObjects(all, objs.bindings)
	all = appendObjects(all, objs.placements)
	all = appendObjects(all, objs.decisions)
	all = appendObjects(all, objs.scores)
	client := clusterfake.NewSimpleClientset(all...)
	informers := clusterinformers.NewSharedInformerFactory(client, 0)
	cluster := informers.Cluster()
	for _, err := range []error{
		fillStore(cluster.V1().ManagedClusters().Informer().GetStore(), objs.clusters),
		fillStore(cluster.V1beta2().ManagedClusterSets().Informer().GetStore(), objs.sets),
		fillStore(cluster.V1beta2().ManagedClusterSetBindings().Informer().GetStore(), objs.bindings),
		fillStore(cluster.V1beta1().Placements().Informer().GetStore(), objs.placements),
		fillStore(cluster.V1alpha1().AddOnPlacementScores().Informer().GetStore(), objs.scores),
	} {
		if err != nil {
			return nil, err
		}
	}
	recorder := &kevents.FakeRecorder{} // nil channel: events are dropped
	metricsRecorder := metrics.NewScheduleMetrics(testingclock.NewFakeClock(now))
	scheduler := scheduling.NewPluginScheduler(scheduling.NewSchedulerHandler(
		client,
		cluster.V1beta1().PlacementDecisions().Lister(),
		cluster.V1alpha1().AddOnPlacementScores().Lister(),
		cluster.V1().ManagedClusters().Lister(),
		recorder, metricsRecorder))
	controller := scheduling.NewSchedulingController(ctx, client,
		cluster.V1().ManagedClusters(),
		cluster.V1beta2().ManagedClusterSets(),
		cluster.V1beta2().ManagedClusterSetBindings(),
		cluster.V1beta1().Placements(),
		cluster.V1beta1().PlacementDecisions(),
		cluster.V1alpha1().AddOnPlacementScores(),
		scheduler, recorder, metricsRecorder)
	h := &hub{client: client, informers: informers, controller: controller, objs: objs}
	return h, h.resetDecisions(ctx, objs.decisions)
}

func appendObjects[T runtime.Object](all []runtime.Object, items []T) []runtime.Object {
	for _, o := range items {
		all = append(all, o)
	}
	return all
}

func fillStore[T runtime.Object](store cache.Store, items []T) error {
	for _, o := range items {
		if err := store.Add(o); err != nil {
			return err
		}
	}
	return nil
}

// resetDecisions makes the given PlacementDecisions the only ones, in the
// client and in the informer store the scheduler's listers read.
func (h *hub) resetDecisions(ctx context.Context, keep []*clusterv1beta1.PlacementDecision) error {
	api := h.client.ClusterV1beta1()
	current, err := api.PlacementDecisions(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, pd := range current.Items {
		if err := api.PlacementDecisions(pd.Namespace).Delete(ctx, pd.Name, metav1.DeleteOptions{}); err != nil {
			return err
		}
	}
	for _, pd := range keep {
		if _, err := api.PlacementDecisions(pd.Namespace).Create(ctx, pd.DeepCopy(), metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return h.refreshDecisions(ctx)
}

// refreshDecisions copies the client's PlacementDecisions into the informer store.
func (h *hub) refreshDecisions(ctx context.Context) error {
	list, err := h.client.ClusterV1beta1().PlacementDecisions(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	items := make([]interface{}, 0, len(list.Items))
	for i := range list.Items {
		items = append(items, &list.Items[i])
	}
	return h.informers.Cluster().V1beta1().PlacementDecisions().Informer().GetStore().Replace(items, "")
}

// schedule runs the controller's sync for one Placement and reads back what it
// wrote: the PlacementDecisions and the Placement's status.
func (h *hub) schedule(ctx context.Context, p *clusterv1beta1.Placement) (placementResult, error) {
	key := p.Namespace + "/" + p.Name
	// A Misconfigured or unscheduled placement makes sync return an error after it
	// has written its (empty) decisions and status: that is a result, not a failure.
	syncErr := h.controller.Sync(ctx, h.controller.SyncContext(), key)
	if err := h.refreshDecisions(ctx); err != nil {
		return placementResult{}, err
	}
	res := placementResult{Namespace: p.Namespace, Name: p.Name, Clusters: []string{}, DecisionGroups: []decisionGroup{}}
	if syncErr != nil {
		res.SyncError = syncErr.Error()
	}
	got, err := h.client.ClusterV1beta1().Placements(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
	if err != nil {
		return res, err
	}
	res.NumberOfSelectedClusters = got.Status.NumberOfSelectedClusters
	for _, c := range got.Status.Conditions {
		res.Conditions = append(res.Conditions, condition{Type: c.Type, Status: string(c.Status), Reason: c.Reason, Message: c.Message})
	}
	decisions, err := h.informers.Cluster().V1beta1().PlacementDecisions().Lister().PlacementDecisions(p.Namespace).List(
		labelsFor(p.Name))
	if err != nil {
		return res, err
	}
	byName := map[string][]string{}
	for _, pd := range decisions {
		for _, d := range pd.Status.Decisions {
			byName[pd.Name] = append(byName[pd.Name], d.ClusterName)
			res.Clusters = append(res.Clusters, d.ClusterName)
		}
	}
	sort.Strings(res.Clusters)
	for _, g := range got.Status.DecisionGroups {
		group := decisionGroup{Index: g.DecisionGroupIndex, Name: g.DecisionGroupName, Clusters: []string{}}
		for _, name := range g.Decisions {
			group.Clusters = append(group.Clusters, byName[name]...)
		}
		res.DecisionGroups = append(res.DecisionGroups, group)
	}
	return res, nil
}
